// Every page with the shared top bar: a notice shows once (a reload does not bring it back),
// and a form marked data-confirm asks before it does something that cannot be undone.
(function () {
  const url = new URL(window.location.href);
  if (url.searchParams.has('notice')) {
    url.searchParams.delete('notice');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  document.addEventListener('submit', function (e) {
    const question = e.target.dataset && e.target.dataset.confirm;
    if (question && !window.confirm(question)) e.preventDefault();
  }, true);
})();
