// Progressive enhancement only: every page works without this script.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the error summary so screen reader and keyboard users hear it first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
  // Links in the error summary focus their field rather than just scrolling to it.
  document.querySelectorAll(".error-summary__list a").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var id = link.getAttribute("href").slice(1);
      var field = document.getElementById(id);
      if (field) {
        event.preventDefault();
        field.scrollIntoView();
        field.focus();
      }
    });
  });
});
