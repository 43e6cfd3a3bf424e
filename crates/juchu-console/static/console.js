// juchu console: the little JavaScript there is. Every page works without it; it only adds
// confirmations on forms marked data-confirm and "select all" for checkbox lists.
document.addEventListener("submit", (e) => {
  const msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) e.preventDefault();
});
document.addEventListener("change", (e) => {
  const t = e.target;
  if (t.matches && t.matches("input[data-select-all]")) {
    const name = t.getAttribute("data-select-all");
    document.querySelectorAll(`input[type=checkbox][name="${name}"]`).forEach((c) => { c.checked = t.checked; });
  }
});
