"""Per-language word lists for line breaking.

A break is good after punctuation and before a conjunction or a preposition; it is
never made after an article or determiner (it would part it from its noun), and avoided
after an adjective that precedes its noun, after a preposition, and between two names.
The lists are small and hand-made: they steer the choice among breaks that all fit, they
do not parse the language.
"""

from __future__ import annotations

from dataclasses import dataclass


def _w(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class LangWords:
    articles: frozenset[str] = frozenset()  # never break after (article/determiner + noun)
    conjunctions: frozenset[str] = frozenset()  # good to break before
    prepositions: frozenset[str] = frozenset()  # good before, bad after
    adjectives: frozenset[str] = frozenset()  # common adjectives placed before the noun
    adj_suffixes: tuple[str, ...] = ()  # endings of adjectives placed before the noun
    post_adj_suffixes: tuple[str, ...] = ()  # endings of adjectives placed after the noun
    postpositions: frozenset[str] = frozenset()  # good to break after, bad before
    clitics: frozenset[str] = frozenset()  # never break before (they lean on the word before)
    tight: frozenset[str] = frozenset()  # one-letter words a line must never end with
    binding: frozenset[str] = frozenset()  # prepositions bound to the word before (`of`)
    capitalised_nouns: bool = False  # German: every noun starts with a capital


_EN = LangWords(
    articles=_w("a an the my your his its our their every each another these those this"),
    conjunctions=_w(
        "and but or nor so yet because although though while whereas if unless since when "
        "whenever where whether that which who whom whose than as until before after once then"
    ),
    prepositions=_w(
        "of in on at to for with from by about into onto over under between through during "
        "without within across against along among around behind beyond like near toward "
        "towards upon via per"
    ),
    adjectives=_w(
        "same other new old big small little large great good bad high low long short first "
        "last next whole real simple certain different important main many few several such "
        "own full right left true false entire specific particular general single double "
        "complex natural negative positive famous tiny huge nice key final initial basic "
        "previous original following given prime linear two three four five six seven eight "
        "nine ten hundred thousand million"
    ),
    adj_suffixes=("ical", "al", "ic", "ous", "ive", "ful", "less", "able", "ible", "ary",
                  "ular"),
    binding=_w("of"),
)

_RU = LangWords(
    conjunctions=_w(
        "и а но или что чтобы если когда потому поэтому так как хотя либо ни да зато однако "
        "тоже также где который которая которое которые которых которым которой которого чем "
        "пока ведь будто словно ли"
    ),
    prepositions=_w(
        "в во на с со к ко о об обо от до по из изо за под над при про для без через у перед "
        "между около после вокруг среди вместо кроме вдоль из-за из-под благодаря"
    ),
    articles=_w(
        "этот эта эту этой этого этому этим этих эти тот ту те того тех мой моя мою мои моих "
        "наш наша нашу наши наших ваш ваша вашу ваши весь вся всю каждый каждая каждое каждую "
        "каждого какой какая какое какие такой такая такое такие таких"
    ),
    adj_suffixes=("ый", "ий", "ой", "ая", "яя", "ое", "ее", "ые", "ие", "ого", "его", "ому",
                  "ему", "ым", "ую", "юю", "ых", "ыми", "ими"),
    tight=_w("в с к у о и а"),
)

_UK = LangWords(
    conjunctions=_w(
        "і й та а але або чи що щоб якщо коли тому бо хоча як де який яка яке які якого якому "
        "яким яких ніж поки адже проте однак також тобто"
    ),
    prepositions=_w(
        "в у на з із зі до від по про для без через під над при між перед після біля навколо "
        "серед замість крім за о об"
    ),
    articles=_w(
        "цей ця цю ці цього цьому цим цих мій моя мою мої наш наша нашу наші ваш ваша кожен "
        "кожна кожне кожного весь вся всю такий така таке такі"
    ),
    adj_suffixes=("ий", "ій", "ого", "ього", "ому", "ьому", "ими", "іми", "ої", "ьої", "ою",
                  "их", "іх"),
    tight=_w("в у з і й а о"),
)

_DE = LangWords(
    articles=_w(
        "der die das den dem des ein eine einen einem einer eines kein keine keinen keinem "
        "keiner keines mein meine meinen meinem meiner dein deine sein seine seinen seinem "
        "seiner ihr ihre ihren ihrem ihrer unser unsere unseren unserem euer eure diese dieser "
        "dieses diesen diesem jede jeder jedes jeden jedem"
    ),
    conjunctions=_w(
        "und oder aber denn sondern dass weil wenn ob als wie damit obwohl während bevor "
        "nachdem sodass falls doch also sowie"
    ),
    prepositions=_w(
        "in im an am auf aus bei beim mit nach seit von vom zu zum zur durch für gegen ohne um "
        "über unter vor hinter neben zwischen wegen trotz innerhalb außerhalb bis entlang"
    ),
    adj_suffixes=("e", "en", "er", "es", "em"),
    capitalised_nouns=True,
)

_ES = LangWords(
    articles=_w(
        "el la los las un una unos unas lo al del este esta estos estas ese esa esos esas mi "
        "mis tu tus su sus nuestro nuestra nuestros nuestras cada"
    ),
    conjunctions=_w(
        "y e o u pero sino que porque aunque si cuando donde como mientras pues ni entonces "
        "cual cuales quien quienes"
    ),
    prepositions=_w(
        "a de en con por para sin sobre entre hacia hasta desde durante según contra bajo tras "
        "ante mediante"
    ),
    adjectives=_w(
        "gran buen mal primer primera mismo misma nuevo nueva otro otra otros otras mucho "
        "muchos mucha muchas pocos pocas segundo segunda último última dos tres cuatro cinco"
    ),
    post_adj_suffixes=("al", "ales", "ico", "ica", "icos", "icas", "oso", "osa", "osos",
                       "osas", "ivo", "iva", "ivos", "ivas", "ble", "bles", "ario", "aria"),
    binding=_w("de"),
)

_FR = LangWords(
    articles=_w(
        "le la les un une des du au aux ce cet cette ces mon ma mes ton ta tes son sa ses "
        "notre nos votre vos leur leurs chaque quelque quelques"
    ),
    conjunctions=_w(
        "et ou mais donc or ni car que qui quand lorsque puisque parce si comme alors dont où "
        "tandis afin"
    ),
    prepositions=_w(
        "à de en dans sur sous avec sans pour par vers chez entre depuis pendant contre selon "
        "avant après jusqu"
    ),
    adjectives=_w(
        "grand grande petit petite nouveau nouvelle premier première dernier dernière même "
        "autre autres bon bonne seul seule vrai vraie beau belle deux trois quatre cinq"
    ),
    post_adj_suffixes=("al", "ale", "aux", "ique", "iques", "if", "ive", "ifs", "ives", "eux",
                       "euse", "able", "ible", "el", "elle", "aire"),
    binding=_w("de"),
)

_PT = LangWords(
    articles=_w(
        "o a os as um uma uns umas do da dos das no na nos nas ao aos à às pelo pela pelos "
        "pelas num numa este esta estes estas esse essa esses essas aquele aquela meu minha "
        "seu sua seus suas nosso nossa cada"
    ),
    conjunctions=_w(
        "e ou mas porém que porque pois se quando onde como enquanto embora então nem qual "
        "quais quem"
    ),
    prepositions=_w(
        "de em com por para sem sobre entre até desde durante contra sob após ante perante "
        "conforme segundo"
    ),
    adjectives=_w(
        "grande pequeno pequena novo nova primeiro primeira último última mesmo mesma outro "
        "outra outros outras muito muitos muita muitas bom boa dois duas três quatro cinco"
    ),
    post_adj_suffixes=("al", "ais", "ico", "ica", "icos", "icas", "oso", "osa", "ivo", "iva",
                       "vel", "veis", "ário", "ária"),
    binding=_w("de"),
)

_TR = LangWords(
    articles=_w("bir bu şu her hiçbir bazı birkaç"),
    conjunctions=_w("ve veya ya ama fakat ancak çünkü eğer yani hem ise oysa"),
    postpositions=_w(
        "için gibi kadar ile göre sonra önce beri rağmen doğru karşı dolayı tarafından üzere"
    ),
    clitics=_w("de da mi mı mu mü ki"),
    adjectives=_w("büyük küçük yeni eski iyi kötü ilk son aynı farklı önemli uzun kısa"),
    adj_suffixes=("li", "lı", "lu", "lü", "siz", "sız", "suz", "süz", "sel", "sal"),
)

LANG_WORDS: dict[str, LangWords] = {
    "en": _EN, "ru": _RU, "uk": _UK, "de": _DE, "es": _ES, "fr": _FR, "pt": _PT, "tr": _TR,
}


def words_for(lang: str) -> LangWords:
    """The lists for `lang` (`ru`, `pt-BR`, ...); empty lists for a language not listed."""
    return LANG_WORDS.get(lang.split("-")[0].split("_")[0].lower(), LangWords())
