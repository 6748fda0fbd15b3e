// What a new offer does besides its card, each as the agent chose on the Settings page: a short
// beep (made on the spot: no file, no network), and a browser notification while this tab is
// not in front. Permission for notifications is asked on the Settings page, never here.
"use strict";
(function () {
  const ws = window.ParleyWorkspace;
  if (!ws) return;
  const prefs = { sound: false, notify: false };
  ws.me.then((me) => { prefs.sound = !!me.sound; prefs.notify = !!me.notify; }, () => {});

  // ---- the sound ----
  let audio = null;
  function audioContext() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && Ctx) audio = new Ctx();
    return audio;
  }
  // Browsers start audio suspended until the page is used; the first click or key unlocks it.
  function unlockAudio() {
    try {
      const ctx = prefs.sound && audioContext();
      if (ctx && ctx.state === "suspended") ctx.resume().catch(() => {});
    } catch (_) { /* no audio here */ }
  }
  document.addEventListener("pointerdown", unlockAudio);
  document.addEventListener("keydown", unlockAudio);

  function beep() {
    try {
      const ctx = audioContext();
      if (!ctx) return;
      if (ctx.state === "suspended") ctx.resume().catch(() => {});
      const t = ctx.currentTime;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.25);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.3);
    } catch (_) { /* autoplay policy or no audio device: the offer card is enough */ }
  }

  // ---- the notification ----
  const shown = new Map();   // workitem id -> Notification

  function notify(offer) {
    if (!prefs.notify || !("Notification" in window) || Notification.permission !== "granted") return;
    if (!document.hidden && document.hasFocus()) return;   // the card is in plain sight
    const c = offer.workitem;
    try {
      const n = new Notification("New SMS from " + c.customer_name, {
        body: c.preview + (c.queue_name ? "\n" + c.queue_name : ""),
        tag: "parley-offer-" + c.id,
      });
      n.onclick = () => { window.focus(); n.close(); };
      shown.set(c.id, n);
    } catch (_) { /* notifications unavailable here: the card and sound remain */ }
  }

  // Back in front, the cards say it all.
  window.addEventListener("focus", () => {
    for (const n of shown.values()) n.close();
    shown.clear();
  });

  document.addEventListener("parley:offer", (ev) => {
    if (prefs.sound) beep();
    notify(ev.detail);
  });
})();
