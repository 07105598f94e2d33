/* coreg-audio pacer page: draws the practice from audio.currentTime, every frame.
 * Everything it needs is in the JSON of #practice (see coreg_audio/output/page.py);
 * it asks for nothing over any network. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("practice").textContent);
  var audio = document.getElementById("track");
  var page = document.getElementById("page");
  var stage = document.getElementById("stage");
  var el = function (id) { return document.getElementById(id); };
  var ui = {
    section: el("section-now"), phase: el("phase"), seconds: el("seconds"),
    words: el("words"), seek: el("seek"), elapsed: el("elapsed"),
    total: el("total"), play: el("play"), back: el("back"), forward: el("forward"),
    vibrate: el("vibrate"), awake: el("awake"), sections: el("sections"),
    missing: el("missing"), choose: el("choose"),
    footLeft: el("foot-left"), footRight: el("foot-right")
  };

  var PHASE_WORDS = { inhale: "Breathe in", hold: "Hold", exhale: "Breathe out", rest: "Rest" };
  var SIDE_WORDS = { left: "left", right: "right" };
  var MIN_SCALE = 0.4;            /* the circle's size when empty, as a share of full */
  var FACING_GROWTH = 0.35;       /* how much a facing sway grows the circle, towards full */
  var WORDS_LINGER_S = 2.0;       /* words stay this long after the voice stops */
  var LONG_WORDS = 90;            /* characters: longer words are set smaller, to fit */
  var SKIP_S = 15;
  var PULSE_MS = 80, PULSE_GAP_MS = 140;
  var VIBRATION = { inhale: [PULSE_MS], exhale: [PULSE_MS, PULSE_GAP_MS, PULSE_MS] };
  var NATURAL_STEP_S = 0.75;      /* a larger jump between frames is a seek: no vibration */

  var said = data.words.filter(function (w) { return w.kind !== "count"; });
  var counts = data.words.filter(function (w) { return w.kind === "count"; });
  /* where the voice counts a phase ("In, 2, 3, 4") the circle shows its count, so what is
     seen never contradicts what is heard; elsewhere it counts down the seconds left */
  var counted = data.breaths.map(function (b) {
    var i = lastStarted(counts, b.end - 1e-6);
    return i >= 0 && counts[i].start >= b.start;
  });
  var duration = data.duration;

  /* --- looking things up by time -------------------------------------------------------- */

  function lastStarted(list, t, key) {
    var lo = 0, hi = list.length - 1, found = -1;
    key = key || "start";
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid][key] <= t) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  function ease(x) {
    x = Math.min(Math.max(x, 0), 1);
    return 0.5 - 0.5 * Math.cos(Math.PI * x);
  }

  function fullness(phase, progress) {
    if (phase === "inhale") return ease(progress);
    if (phase === "hold") return 1;
    if (phase === "exhale") return 1 - ease(progress);
    return 0;
  }

  function breathAt(t) {
    var i = lastStarted(data.breaths, t);
    if (i < 0 || t >= data.breaths[i].end) return null;
    var b = data.breaths[i];
    return {
      index: i, phase: b.phase, fullness: fullness(b.phase, (t - b.start) / (b.end - b.start)),
      left: b.end - t, counted: counted[i], count: Math.floor(t - b.start + 1e-6) + 1
    };
  }

  function wordsAt(t) {
    var i = lastStarted(said, t);
    if (i < 0) return null;
    var w = said[i];
    var until = w.end + WORDS_LINGER_S;
    if (i + 1 < said.length) until = Math.min(until, said[i + 1].start);
    if (t >= until) return null;
    return { text: w.text, fading: t >= w.end };
  }

  function moveAt(t) {
    var m = lastStarted(data.moves, t);
    if (m < 0 || t >= data.moves[m].end) return null;
    var move = data.moves[m];
    var beats = move.beats;
    var i = lastStarted(beats, t, "time");
    var beat = beats[i];
    var next = i + 1 < beats.length ? beats[i + 1].time : move.end;
    var progress = (t - beat.time) / Math.max(next - beat.time, 1e-6);
    var side = beat.side;
    var sway = 0, grown = 0;
    if (move.facing) {
      /* partners face each other: one's left is the other's right, so no side is named and
         nothing moves sideways; a sway grows the circle towards the partner, its return
         shrinks it back, as the terminal's screen draws it */
      grown = side === "left" ? ease(progress) : 1 - ease(progress);
      return {
        kind: move.kind, side: "", sway: 0, grown: grown, progress: progress,
        accent: beat.accent, word: beat.word || "", number: i + 1, facing: true
      };
    }
    if (move.kind === "rock") {
      /* a rocking beat sounds where the weight arrives: the circle is at that side on the
         beat, eases across to the next one, and is named after the side it is nearer */
      var from = side === "left" ? -1 : 1;
      var to = i + 1 < beats.length ? (beats[i + 1].side === "left" ? -1 : 1) : 0;
      sway = from + (to - from) * ease(progress);
      if (progress >= 0.5 && i + 1 < beats.length) side = beats[i + 1].side;
    }
    return {
      kind: move.kind, side: side, sway: sway, grown: grown, progress: progress,
      accent: beat.accent, word: beat.word || "", number: i + 1, facing: false
    };
  }

  function sectionAt(t) {
    return Math.max(lastStarted(data.sections, t), 0);
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  /* --- drawing ---------------------------------------------------------------------------- */

  var shown = { words: null, count: null, section: -1, phase: null, seconds: null };
  var last = { breath: -1, time: null };
  var vibrateOn = false;

  function setText(node, key, text) {
    if (shown[key] !== text) { node.textContent = text; shown[key] = text; }
  }

  function draw() {
    var t = audio.currentTime || 0;
    var playing = !audio.paused && !audio.ended;
    var breath = breathAt(t);
    var move = breath ? null : moveAt(t);
    var scale = MIN_SCALE, sway = 0, mode = "idle", phaseText = "", secondsText = "";
    var side = "";
    if (breath) {
      mode = "breath";
      scale = MIN_SCALE + (1 - MIN_SCALE) * breath.fullness;
      phaseText = PHASE_WORDS[breath.phase] || breath.phase;
      secondsText = String(breath.counted ? breath.count : Math.max(1, Math.ceil(breath.left - 1e-6)));
    } else if (move) {
      mode = move.kind;
      side = move.side;
      if (move.kind === "rock" && move.facing) {
        phaseText = move.word;
        scale = MIN_SCALE + FACING_GROWTH * move.grown;
      } else if (move.kind === "rock") {
        sway = move.sway;
        phaseText = "Sway " + SIDE_WORDS[move.side];
      } else {
        phaseText = move.facing ? "Step" : "Step " + SIDE_WORDS[move.side];
        if (move.facing) secondsText = String(move.number);
        scale = MIN_SCALE + (move.accent ? 0.12 : 0.07) * (1 - ease(move.progress * 2));
      }
    }
    stage.style.setProperty("--scale", scale.toFixed(4));
    stage.style.setProperty("--sway", sway.toFixed(4));
    stage.dataset.mode = mode;
    stage.dataset.phase = breath ? breath.phase : "";
    stage.dataset.number = breath ? (breath.counted ? "count" : "left") : "";
    stage.dataset.fullness = breath ? breath.fullness.toFixed(4) : "0";
    stage.dataset.side = side;
    stage.dataset.facing = move && move.facing ? "true" : "";
    stage.dataset.time = t.toFixed(3);
    setText(ui.phase, "phase", phaseText);
    setText(ui.seconds, "seconds", secondsText);
    if (mode === "walk") {
      var lit = (1 - 0.6 * Math.min(move.progress, 1)).toFixed(3);
      ui.footLeft.classList.toggle("on", side === "left");
      ui.footRight.classList.toggle("on", side === "right");
      ui.footLeft.style.setProperty("--lit", side === "left" ? lit : "0.35");
      ui.footRight.style.setProperty("--lit", side === "right" ? lit : "0.35");
    }

    var words = wordsAt(t);
    setText(ui.words, "words", words ? words.text : "");
    ui.words.classList.toggle("long", !!(words && words.text.length > LONG_WORDS));
    ui.words.classList.toggle("fading", !!(words && words.fading));

    var section = sectionAt(t);
    if (section !== shown.section) {
      shown.section = section;
      ui.section.textContent = data.sections.length ? data.sections[section].title : "";
      var buttons = ui.sections.querySelectorAll("button");
      for (var i = 0; i < buttons.length; i++) {
        if (i === section) buttons[i].setAttribute("aria-current", "true");
        else buttons[i].removeAttribute("aria-current");
      }
      updateMediaMetadata();
    }
    if (!seeking) ui.seek.value = String(Math.floor(t));
    setText(ui.elapsed, "elapsed", clock(t));

    if (playing && breath && breath.index !== last.breath && last.time !== null &&
        t - last.time < NATURAL_STEP_S && last.time < data.breaths[breath.index].start + 1e-3) {
      pulse(breath.phase);
    }
    last.breath = breath ? breath.index : -1;
    last.time = playing ? t : null;
  }

  var frame = 0;
  function loop() {
    frame = 0;
    draw();
    if (!audio.paused && !audio.ended) frame = requestAnimationFrame(loop);
  }
  function keepDrawing() {
    if (!frame) frame = requestAnimationFrame(loop);
  }

  /* --- vibration, wake lock, media session ------------------------------------------------- */

  function pulse(phase) {
    var pattern = VIBRATION[phase];
    if (vibrateOn && pattern && typeof navigator.vibrate === "function") {
      try { navigator.vibrate(pattern); } catch (e) { /* not allowed here */ }
    }
  }

  var wakeLock = null;
  function holdScreen() {
    if (!("wakeLock" in navigator)) {
      ui.awake.textContent = "This browser may let the screen sleep; tap it now and then, or lengthen the screen timeout.";
      return;
    }
    if (wakeLock || document.visibilityState !== "visible") return;
    navigator.wakeLock.request("screen").then(function (lock) {
      wakeLock = lock;
      ui.awake.textContent = "The screen stays on while the track plays.";
      lock.addEventListener("release", function () {
        wakeLock = null;
        if (audio.paused) ui.awake.textContent = "";
      });
      if (audio.paused) releaseScreen();
    }, function () {
      ui.awake.textContent = "The screen may sleep: this browser did not allow keeping it on.";
    });
  }
  function releaseScreen() {
    if (wakeLock) { wakeLock.release(); wakeLock = null; }
    ui.awake.textContent = "";
  }

  var session = "mediaSession" in navigator ? navigator.mediaSession : null;
  function updateMediaMetadata() {
    if (!session || typeof MediaMetadata === "undefined") return;
    var section = data.sections.length ? data.sections[sectionAt(audio.currentTime || 0)].title : "";
    try {
      session.metadata = new MediaMetadata({
        title: data.title,
        artist: data.author || "",
        album: section,
        artwork: data.artwork ? [{ src: data.artwork, sizes: "512x512", type: "image/jpeg" }] : []
      });
    } catch (e) { /* an older browser's MediaMetadata */ }
  }
  function updatePosition() {
    if (!session || !session.setPositionState || !isFinite(audio.duration)) return;
    try {
      session.setPositionState({ duration: audio.duration, playbackRate: audio.playbackRate, position: Math.min(audio.currentTime, audio.duration) });
    } catch (e) { /* position outside the duration while loading */ }
  }
  function onAction(name, handler) {
    try { session.setActionHandler(name, handler); } catch (e) { /* action not supported */ }
  }

  /* --- controls ------------------------------------------------------------------------------ */

  function seekTo(t) {
    var end = isFinite(audio.duration) ? audio.duration : duration;
    audio.currentTime = Math.min(Math.max(t, 0), Math.max(end - 0.05, 0));
    last.time = null;
    draw();
  }
  function toggle() {
    if (audio.paused || audio.ended) {
      var started = audio.play();
      if (started && started.catch) started.catch(function () { /* the browser wants a tap first */ });
    } else {
      audio.pause();
    }
  }
  function jumpToSection(index) {
    if (data.sections[index]) seekTo(data.sections[index].start);
  }
  function previousSection() {
    var t = audio.currentTime || 0;
    var i = sectionAt(t);
    if (t - data.sections[i].start < 3 && i > 0) i -= 1;
    jumpToSection(i);
  }
  function nextSection() {
    var i = sectionAt(audio.currentTime || 0);
    if (i + 1 < data.sections.length) jumpToSection(i + 1);
  }

  data.sections.forEach(function (section, index) {
    var item = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.dataset.start = String(section.start);
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = section.title;
    var at = document.createElement("span");
    at.className = "at";
    at.textContent = clock(section.start);
    button.appendChild(name);
    button.appendChild(at);
    button.setAttribute("aria-label", section.title + ", at " + clock(section.start));
    button.addEventListener("click", function () { jumpToSection(index); });
    item.appendChild(button);
    ui.sections.appendChild(item);
  });

  ui.play.addEventListener("click", toggle);
  ui.back.addEventListener("click", function () { seekTo((audio.currentTime || 0) - SKIP_S); });
  ui.forward.addEventListener("click", function () { seekTo((audio.currentTime || 0) + SKIP_S); });

  var seeking = false;
  ui.seek.max = String(Math.floor(duration));
  ui.total.textContent = clock(duration);
  ui.seek.addEventListener("input", function () {
    seeking = true;
    setText(ui.elapsed, "elapsed", clock(Number(ui.seek.value)));
  });
  ui.seek.addEventListener("change", function () {
    seeking = false;
    seekTo(Number(ui.seek.value));
  });

  if (typeof navigator.vibrate === "function") {
    ui.vibrate.hidden = false;
    try { vibrateOn = window.localStorage.getItem("coreg-audio.vibrate") === "on"; } catch (e) { vibrateOn = false; }
    ui.vibrate.setAttribute("aria-pressed", String(vibrateOn));
    ui.vibrate.addEventListener("click", function () {
      vibrateOn = !vibrateOn;
      ui.vibrate.setAttribute("aria-pressed", String(vibrateOn));
      try { window.localStorage.setItem("coreg-audio.vibrate", vibrateOn ? "on" : "off"); } catch (e) { /* private mode */ }
      if (vibrateOn) pulse("inhale");
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    var tag = target && target.tagName;
    var onControl = tag === "BUTTON" || tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA";
    if ((event.key === " " || event.key === "k") && !onControl) {
      event.preventDefault();
      toggle();
    } else if ((event.key === "ArrowLeft" || event.key === "j") && tag !== "INPUT") {
      event.preventDefault();
      seekTo((audio.currentTime || 0) - SKIP_S);
    } else if ((event.key === "ArrowRight" || event.key === "l") && tag !== "INPUT") {
      event.preventDefault();
      seekTo((audio.currentTime || 0) + SKIP_S);
    }
  });

  audio.addEventListener("play", function () {
    page.dataset.state = "playing";
    ui.play.setAttribute("aria-label", "Pause");
    last.time = null;
    holdScreen();
    updateMediaMetadata();
    keepDrawing();
  });
  audio.addEventListener("pause", function () {
    page.dataset.state = "paused";
    ui.play.setAttribute("aria-label", "Play");
    releaseScreen();
    draw();
  });
  audio.addEventListener("ended", function () {
    page.dataset.state = "paused";
    ui.play.setAttribute("aria-label", "Play");
    releaseScreen();
    draw();
  });
  audio.addEventListener("seeking", function () { last.time = null; draw(); });
  audio.addEventListener("seeked", function () { draw(); updatePosition(); });
  audio.addEventListener("timeupdate", function () { if (audio.paused) draw(); });
  audio.addEventListener("loadedmetadata", function () { draw(); updatePosition(); });
  audio.addEventListener("ratechange", updatePosition);
  audio.addEventListener("error", function () {
    if (!audio.currentSrc || audio.currentSrc.indexOf("blob:") !== 0) ui.missing.hidden = false;
  });
  ui.choose.addEventListener("change", function () {
    var file = ui.choose.files && ui.choose.files[0];
    if (!file) return;
    audio.src = URL.createObjectURL(file);
    audio.load();
    ui.missing.hidden = true;
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !audio.paused) { holdScreen(); keepDrawing(); }
  });

  if (session) {
    onAction("play", function () { toggle(); });
    onAction("pause", function () { audio.pause(); });
    onAction("seekbackward", function () { seekTo((audio.currentTime || 0) - SKIP_S); });
    onAction("seekforward", function () { seekTo((audio.currentTime || 0) + SKIP_S); });
    onAction("seekto", function (details) { if (details && typeof details.seekTime === "number") seekTo(details.seekTime); });
    onAction("previoustrack", previousSection);
    onAction("nexttrack", nextSection);
  }

  window.coregPacer = { data: data, draw: draw, breathAt: breathAt, moveAt: moveAt };
  draw();
})();
