// What the shop tells the customer outside the page content: a polite live region for status
// ("Added to your bag") and an alert banner for errors they can act on. Both are in index.html
// so screen readers know them before anything is announced.

let bannerTimer;

export function announce(message) {
  const region = document.getElementById('status-region');
  region.textContent = '';
  // A fresh text node after a tick makes screen readers repeat an identical message.
  setTimeout(() => { region.textContent = message; }, 50);
  const toast = document.getElementById('toast');
  toast.textContent = message;
  toast.hidden = false;
  clearTimeout(bannerTimer);
  bannerTimer = setTimeout(() => { toast.hidden = true; }, 4000);
}

export function hideToast() {
  clearTimeout(bannerTimer);
  document.getElementById('toast').hidden = true;
}

export function showError(message) {
  const banner = document.getElementById('error-banner');
  banner.querySelector('.banner-text').textContent = message;
  banner.hidden = false;
}

export function clearError() {
  const banner = document.getElementById('error-banner');
  banner.hidden = true;
  banner.querySelector('.banner-text').textContent = '';
}
