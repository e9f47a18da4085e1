"""The translation engines (argos, Bergamot) and the translation memory around them;
import the public names from `pipeline.translate`."""
