// The Live panel: a session of the live engine on this server (POST /api/live), its music played
// as it is rendered (the raw PCM stream read with fetch and scheduled on Web Audio), steered by
// an emotion pad, hit buttons and a stop. For tests the panel element carries data-live-id,
// data-pcm-bytes, data-pcm-rms (of every sample received), data-stream (idle, open, ended,
// failed), data-state (idle, running, stopping) and data-audio (the AudioContext's state).

import { t } from './i18n.js';

const $ = (id) => document.getElementById(id);

const LEAD_S = 0.15;          // how far ahead of the audio clock the first buffer starts
const MIN_BUFFER_S = 0.05;    // PCM gathered into one AudioBufferSourceNode at least
const COMMAND_GAP_MS = 200;   // at most five emotion commands a second while dragging
const POLL_MS = 1000;
const STEP = 0.1;             // an arrow key's move on the pad

const live = {
  api: null,         // studio.js's api(path, options) and showError(box, error)
  showError: null,
  session: null,     // the POST /api/live answer
  status: null,      // the last status seen
  context: null,     // the AudioContext, made on the first Start click
  valence: 0,
  arousal: 0,
  sending: false,    // an emotion command is on its way
  pending: false,    // the pad moved since the last command went
  poll: null,
  abort: null,       // the stream's AbortController
};

const clamp = (v) => Math.round(Math.max(-1, Math.min(1, v)) * 100) / 100;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const livePath = (id, tail = '') => `/api/live/${encodeURIComponent(id)}${tail}`;

// --- the pad ----------------------------------------------------------------------------------

function drawPad() {
  const pad = $('live-pad');
  const marker = $('live-marker');
  // CSSOM, not a style attribute: the Content-Security-Policy allows the one, not the other.
  marker.style.left = `${((live.valence + 1) / 2) * 100}%`;
  marker.style.top = `${((1 - live.arousal) / 2) * 100}%`;
  pad.setAttribute('aria-valuenow', String(live.valence));
  pad.setAttribute('aria-valuetext', t('padValue', { valence: live.valence, arousal: live.arousal }));
}

function setEmotion(valence, arousal) {
  valence = clamp(valence);
  arousal = clamp(arousal);
  if (valence === live.valence && arousal === live.arousal) return;
  live.valence = valence;
  live.arousal = arousal;
  drawPad();
  live.pending = true;
  sendEmotion();
}

// The pad's latest emotion to the session, one command at a time and no more than one per
// COMMAND_GAP_MS; moves made meanwhile collapse into the next command.
async function sendEmotion() {
  const steering = () => live.session && $('live-panel').dataset.state === 'running';
  if (live.sending || !steering()) return;
  live.sending = true;
  try {
    while (live.pending && steering()) {
      live.pending = false;
      const started = performance.now();
      await command({ valence: live.valence, arousal: live.arousal, at: $('live-at').value });
      await sleep(Math.max(0, COMMAND_GAP_MS - (performance.now() - started)));
    }
  } finally {
    live.sending = false;
  }
}

function fromPointer(event) {
  const box = $('live-pad').getBoundingClientRect();
  const x = (event.clientX - box.left) / box.width;
  const y = (event.clientY - box.top) / box.height;
  setEmotion(x * 2 - 1, 1 - y * 2);
}

function wirePad() {
  const pad = $('live-pad');
  pad.addEventListener('pointerdown', (event) => {
    pad.focus();
    pad.setPointerCapture(event.pointerId);
    fromPointer(event);
  });
  pad.addEventListener('pointermove', (event) => {
    if (pad.hasPointerCapture(event.pointerId)) fromPointer(event);
  });
  pad.addEventListener('keydown', (event) => {
    const moves = { ArrowLeft: [-STEP, 0], ArrowRight: [STEP, 0], ArrowUp: [0, STEP], ArrowDown: [0, -STEP] };
    const move = moves[event.key];
    if (event.key === 'Home') setEmotion(0, 0);
    else if (move) setEmotion(live.valence + move[0], live.arousal + move[1]);
    else return;
    event.preventDefault();
  });
}

// --- the session ------------------------------------------------------------------------------

function setStream(state) {
  $('live-panel').dataset.stream = state;
}

function showStatus() {
  const line = $('live-status');
  const s = live.status;
  if (!s) {
    line.textContent = '';
    return;
  }
  const key = s.finished ? 'liveFinished' : 'livePlaying';
  line.textContent = t(key, { seconds: Number(s.seconds || 0).toFixed(1), changes: s.changes ?? 0, hits: s.hits ?? 0 });
}

// idle: nothing open; running: music the controls steer; stopping: a stop was asked, the music
// is ending (Start may replace it).
function setControls(state) {
  $('live-panel').dataset.state = state;
  $('live-start').disabled = state === 'running';
  $('live-stop').disabled = state !== 'running';
  for (const button of document.querySelectorAll('#live-hits button')) button.disabled = state !== 'running';
}

// Takes a status (GET /api/live/ID or a command's answer) if it is the current session's.
function takeStatus(id, status) {
  if (!live.session || live.session.id !== id || !status) return;
  live.status = status;
  showStatus();
  if (status.finished && $('live-panel').dataset.state === 'running') setControls('stopping');
  maybeDone();
}

// The session is over when its music has finished and its stream has ended.
function maybeDone() {
  const stream = $('live-panel').dataset.stream;
  if (!live.status?.finished || stream === 'open') return;
  clearInterval(live.poll);
  live.poll = null;
  setControls('idle');
}

async function command(body) {
  const session = live.session;
  if (!session) return;
  try {
    const answer = await live.api(session.commands, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    live.showError($('live-error'), null);
    takeStatus(session.id, answer);
  } catch (e) {
    if (live.session === session) live.showError($('live-error'), e);
  }
}

async function pollStatus() {
  const session = live.session;
  if (!session) return;
  try {
    takeStatus(session.id, await live.api(livePath(session.id)));
  } catch (e) {
    if (live.session !== session) return;
    live.showError($('live-error'), e);
    // A session gone from the server (restarted, deleted elsewhere) with its stream over: stop asking.
    if ($('live-panel').dataset.stream !== 'open') {
      clearInterval(live.poll);
      live.poll = null;
      setControls('idle');
    }
  }
}

// Reads the session's PCM and schedules it back to back on the AudioContext. Chunks may end
// inside a sample frame: the odd bytes wait for the next chunk.
async function play(session, signal) {
  const panel = $('live-panel');
  const channels = session.channels || 2;
  const rate = session.sample_rate || 48000;
  const frameBytes = 2 * channels;
  const minFrames = Math.ceil(rate * MIN_BUFFER_S);
  const context = live.context;
  let received = 0;
  let sumSquares = 0;
  let samples = 0;
  let carry = new Uint8Array(0);   // bytes of an incomplete frame
  let gathered = [];               // Float32Arrays per channel, not yet scheduled
  let gatheredFrames = 0;
  let next = 0;                    // the audio-clock time the next buffer starts at

  const schedule = () => {
    if (!gatheredFrames) return;
    if (!context) {  // no Web Audio: counted, not played
      gathered = [];
      gatheredFrames = 0;
      return;
    }
    const buffer = context.createBuffer(channels, gatheredFrames, rate);
    for (let c = 0; c < channels; ++c) {
      const data = buffer.getChannelData(c);
      let at = 0;
      for (const part of gathered) {
        data.set(part[c], at);
        at += part[c].length;
      }
    }
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    // The first buffer, or one after the stream fell behind the clock, starts LEAD_S from now.
    if (next < context.currentTime + 0.01) next = context.currentTime + LEAD_S;
    source.start(next);
    next += buffer.duration;
    gathered = [];
    gatheredFrames = 0;
  };

  const response = await fetch(session.stream, { signal });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  setStream('open');
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let bytes = value;
    if (carry.length) {
      bytes = new Uint8Array(carry.length + value.length);
      bytes.set(carry);
      bytes.set(value, carry.length);
    }
    const frames = Math.floor(bytes.length / frameBytes);
    carry = bytes.slice(frames * frameBytes);
    received += value.length;
    if (frames) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, frames * frameBytes);
      const planes = Array.from({ length: channels }, () => new Float32Array(frames));
      for (let f = 0; f < frames; ++f) {
        for (let c = 0; c < channels; ++c) {
          const v = view.getInt16((f * channels + c) * 2, true) / 32768;
          planes[c][f] = v;
          sumSquares += v * v;
        }
      }
      samples += frames * channels;
      gathered.push(planes);
      gatheredFrames += frames;
      if (gatheredFrames >= minFrames) schedule();
    }
    panel.dataset.pcmBytes = String(received);
    panel.dataset.pcmRms = samples ? String(Math.sqrt(sumSquares / samples)) : '0';
  }
  schedule();
}

async function start() {
  const errors = $('live-error');
  live.showError(errors, null);
  // The AudioContext is made (or resumed) inside the click: browsers let only a user's gesture
  // start sound. Without Web Audio the stream is still read (and counted), only not heard.
  const panel = $('live-panel');
  try {
    if (!live.context) {
      live.context = new AudioContext({ latencyHint: 'playback' });
      live.context.addEventListener('statechange', () => { panel.dataset.audio = live.context.state; });
    }
    live.context.resume().catch(() => {});
    panel.dataset.audio = live.context.state;
  } catch {
    live.context = null;
    panel.dataset.audio = 'none';
  }
  await stop();
  setControls('running');
  Object.assign(panel.dataset, { pcmBytes: '0', pcmRms: '0', stream: 'idle' });
  delete panel.dataset.liveId;
  let session;
  try {
    session = await live.api('/api/live', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ style: $('live-style').value, valence: live.valence, arousal: live.arousal }),
    });
  } catch (e) {
    setControls('idle');
    return live.showError(errors, e);
  }
  live.session = session;
  live.status = session;
  live.pending = false;
  panel.dataset.liveId = session.id;
  showStatus();
  live.poll = setInterval(pollStatus, POLL_MS);
  const abort = new AbortController();
  live.abort = abort;
  play(session, abort.signal).then(
    () => {
      if (live.session !== session) return;
      setStream('ended');
      pollStatus();
    },
    (e) => {
      if (live.session !== session) return;
      setStream('failed');
      if (!abort.signal.aborted) live.showError(errors, e);
      maybeDone();
    });
}

// Ends the current session, if any: its stream closed, the session deleted on the server.
async function stop() {
  const session = live.session;
  if (!session) return;
  live.session = null;
  live.status = null;
  clearInterval(live.poll);
  live.poll = null;
  live.abort?.abort();
  setStream('ended');
  await fetch(livePath(session.id), { method: 'DELETE' }).catch(() => {});
}

// --- wiring -----------------------------------------------------------------------------------

// `helpers`: studio.js's api(path, options) -> JSON and showError(box, error).
export function initLive(helpers) {
  live.api = helpers.api;
  live.showError = helpers.showError;
  wirePad();
  $('live-start').addEventListener('click', start);
  $('live-stop').addEventListener('click', () => {
    setControls('stopping');
    command({ stop: true });
  });
  for (const button of document.querySelectorAll('#live-hits button'))
    button.addEventListener('click', () => command({ hit: button.dataset.hit }));
  // A session this page opened is closed with it (keepalive: the request outlives the page).
  window.addEventListener('pagehide', () => {
    if (live.session) fetch(livePath(live.session.id), { method: 'DELETE', keepalive: true }).catch(() => {});
  });
  setControls('idle');
  setStream('idle');
  drawPad();
}

// Redraws the panel's words made in code (the pad's value, the status line) in the current language.
export function relabelLive() {
  drawPad();
  showStatus();
}
