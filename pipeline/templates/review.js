(function () {
  var box = document.getElementById("only-problems");
  var top = document.querySelector(".top");
  function apply() { document.body.classList.toggle("only-problems", box.checked); }
  function pin() { if (top) document.body.style.setProperty("--top-h", top.offsetHeight + "px"); }
  if (box) {
    if (location.hash === "#only-problems") box.checked = true;
    box.addEventListener("change", apply);
    apply();
  }
  window.addEventListener("resize", pin); pin();
})();
