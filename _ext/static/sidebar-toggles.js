// Every sidebar button opens its sidebar. pydata-sphinx-theme 0.17 gives its click handler only to the
// first element of class primary-toggle (and secondary-toggle): a button hidden in the header. The buttons
// a reader sees, in the article header of sphinx-book-theme, did nothing (pydata-sphinx-theme issue 2451).
// Each of them now passes its click on to the first button, which opens the sidebar as a dialog.
document.addEventListener("DOMContentLoaded", () => {
  for (const kind of ["primary-toggle", "secondary-toggle"]) {
    const [first, ...others] = document.querySelectorAll(`.${kind}`);
    for (const button of others) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        first.click();
      });
    }
  }
});
