// The audio's waveform, drawn as SVG under the player: one bar per column (the loudest sample of
// its stretch of time, over both channels), a line where each section starts, and the playhead.
// A click seeks the player there (the player's own controls and the section buttons do the same
// from the keyboard). The audio is decoded in the page (Web Audio); a file over kMaxBytes is not
// drawn (a long piece's WAV would cost more memory than a picture is worth).

const NS = 'http://www.w3.org/2000/svg';
const kColumns = 400;
const kWidth = 800;
const kHeight = 80;
const kMaxBytes = 64 * 1024 * 1024;

function svg(tag, attributes) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  return node;
}

// The loudest |sample| in each of `columns` equal stretches of the buffer.
function peaks(buffer, columns) {
  const channels = [];
  for (let c = 0; c < buffer.numberOfChannels; ++c) channels.push(buffer.getChannelData(c));
  const out = new Float32Array(columns);
  const per = buffer.length / columns;
  for (let i = 0; i < columns; ++i) {
    const from = Math.floor(i * per), to = Math.min(buffer.length, Math.floor((i + 1) * per));
    let peak = 0;
    for (const data of channels)
      for (let j = from; j < to; ++j) peak = Math.max(peak, Math.abs(data[j]));
    out[i] = peak;
  }
  return out;
}

// Draws the waveform of `url` into `box` with the sections of `cues`; `audio` is the player it
// seeks. Resolves to { setTime(seconds) } moving the playhead, or null when nothing was drawn.
export async function drawWaveform(box, url, cues, audio, label) {
  box.replaceChildren();
  box.hidden = true;
  const response = await fetch(url);
  if (!response.ok || Number(response.headers.get('Content-Length') || 0) > kMaxBytes) return null;
  const data = await response.arrayBuffer();
  const buffer = await new OfflineAudioContext(1, 1, 44100).decodeAudioData(data);
  const p = peaks(buffer, kColumns);
  const loudest = Math.max(1e-6, ...p);
  const root = svg('svg', { viewBox: `0 0 ${kWidth} ${kHeight}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label });
  const step = kWidth / kColumns, middle = kHeight / 2;
  let d = '';
  p.forEach((v, i) => {
    const half = Math.max(0.5, (v / loudest) * (middle - 2));
    const x = (i + 0.5) * step;
    d += `M${x.toFixed(1)} ${(middle - half).toFixed(1)}V${(middle + half).toFixed(1)}`;
  });
  root.appendChild(svg('path', { class: 'wave', d, 'stroke-width': (step * 0.7).toFixed(2) }));
  const at = (seconds) => (seconds / buffer.duration) * kWidth;
  for (const cue of cues.slice(1))
    root.appendChild(svg('line', { class: 'wave-section', x1: at(cue.start_s), x2: at(cue.start_s), y1: 0, y2: kHeight }));
  const playhead = svg('line', { class: 'wave-playhead', x1: 0, x2: 0, y1: 0, y2: kHeight });
  root.appendChild(playhead);
  root.addEventListener('click', (event) => {
    const r = root.getBoundingClientRect();
    audio.currentTime = Math.max(0, Math.min(1, (event.clientX - r.left) / r.width)) * buffer.duration;
  });
  box.appendChild(root);
  box.hidden = false;
  Object.assign(box.dataset, { duration: buffer.duration.toFixed(3), peak: loudest.toFixed(4) });
  return {
    setTime(seconds) {
      const x = at(Math.max(0, Math.min(buffer.duration, seconds)));
      playhead.setAttribute('x1', x);
      playhead.setAttribute('x2', x);
    },
  };
}
