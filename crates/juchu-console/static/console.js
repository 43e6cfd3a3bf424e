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
// Uploads (form[data-upload]): sent with XMLHttpRequest to show how much of the file has gone up,
// then the answer (the row-by-row result page) replaces this page. Without JavaScript, or if the
// browser cannot, the form posts normally.
document.addEventListener("submit", (e) => {
  const form = e.target;
  if (e.defaultPrevented || !form.matches || !form.matches("form[data-upload]") || !window.FormData) return;
  e.preventDefault();
  const box = form.querySelector(".upload-progress");
  const bar = box && box.querySelector("progress");
  const status = box && box.querySelector("[data-upload-status]");
  const button = form.querySelector("button[type=submit]");
  const xhr = new XMLHttpRequest();
  xhr.open("POST", form.action);
  xhr.responseType = "document";
  xhr.upload.addEventListener("progress", (p) => {
    if (bar && p.lengthComputable) { bar.max = p.total; bar.value = p.loaded; }
  });
  xhr.upload.addEventListener("load", () => {
    // Sent: the server now imports row by row; an indeterminate bar says it is working.
    if (bar) bar.removeAttribute("value");
    if (status) status.textContent = status.getAttribute("data-processing");
  });
  xhr.addEventListener("load", () => {
    const doc = xhr.response;
    if (doc && doc.documentElement) {
      document.replaceChild(document.adoptNode(doc.documentElement), document.documentElement);
      window.scrollTo(0, 0);
    } else {
      form.submit();
    }
  });
  xhr.addEventListener("error", () => {
    if (status) status.textContent = status.getAttribute("data-failed");
    if (button) button.disabled = false;
  });
  if (box) box.hidden = false;
  if (button) button.disabled = true;
  xhr.send(new FormData(form));
});
