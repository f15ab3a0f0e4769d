// roster console: progressive enhancement only. Every action works without
// this script; it adds copy buttons next to values meant to be pasted.
document.querySelectorAll("[data-copy]").forEach(function (el) {
  var target = document.getElementById(el.getAttribute("data-copy"));
  if (!target || !navigator.clipboard) { return; }
  el.hidden = false;
  el.addEventListener("click", function () {
    navigator.clipboard.writeText(target.textContent.trim()).then(function () {
      var label = el.textContent;
      el.textContent = "Copied";
      setTimeout(function () { el.textContent = label; }, 1500);
    });
  });
});
