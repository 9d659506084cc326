// The arc as an SVG chart: time left to right, emotion -1 (bottom) .. 1 (top). Per sentence, its
// text emotion (valence dots, arousal squares); per section, the plan (solid lines, from the cue
// sheet being edited) and the judged music (dashed, from report.json); a handle per section for
// valence and one for arousal (drag, or focus and arrow keys) and one per inner boundary. Every
// edit changes `sheet` in place and calls onEdit(). No text from the story is parsed as markup:
// it reaches the page through textContent only.

import { t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
const H = 300, PAD_L = 36, PAD_R = 12, PAD_T = 26, PAD_B = 26;
// The drawing's width in its own units: narrower on a phone, so handles and labels stay large
// enough to touch and read when it is scaled to the screen.
export const chartWidth = (pixels) => (pixels > 0 && pixels < 560 ? 420 : 800);
const STEP = 0.05, BIG_STEP = 0.25, TIME_STEP = 0.5, MIN_CUE_S = 1;

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

const round = (v, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

export function drawArc(container, sheet, report, onEdit) {
  const W = chartWidth(container.clientWidth);
  const duration = sheet.duration_s;
  const x = (s) => PAD_L + (s / duration) * (W - PAD_L - PAD_R);
  const y = (v) => PAD_T + ((1 - v) / 2) * (H - PAD_T - PAD_B);
  const timeAt = (px) => ((px - PAD_L) / (W - PAD_L - PAD_R)) * duration;
  const valueAt = (py) => 1 - ((py - PAD_T) / (H - PAD_T - PAD_B)) * 2;

  container.replaceChildren();
  const svg = el('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'arc',
    role: 'group',
    'aria-label': t('chartLabel'),
  });
  container.appendChild(svg);

  // Axes: -1, 0, 1 and the seconds.
  const axes = el('g', { class: 'axes', 'aria-hidden': 'true' }, svg);
  for (const v of [-1, -0.5, 0, 0.5, 1]) {
    el('line', { x1: PAD_L, x2: W - PAD_R, y1: y(v), y2: y(v), class: v === 0 ? 'zero' : 'grid' }, axes);
    el('text', { x: PAD_L - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, axes).textContent = v;
  }
  const tickEvery = duration > 120 ? 30 : duration > 40 ? 10 : 5;
  for (let s = 0; s <= duration + 1e-6; s += tickEvery)
    el('text', { x: x(s), y: H - 8, class: 'tick', 'text-anchor': 'middle' }, axes).textContent = `${s}s`;

  const bands = el('g', { class: 'bands', 'aria-hidden': 'true' }, svg);
  const sentences = el('g', { class: 'sentences', 'aria-hidden': 'true' }, svg);
  const plan = el('g', { class: 'plan', 'aria-hidden': 'true' }, svg);
  const judged = el('g', { class: 'judged', 'aria-hidden': 'true' }, svg);
  const handles = el('g', { class: 'handles' }, svg);
  const playhead = el('line', { class: 'playhead', y1: PAD_T, y2: H - PAD_B, x1: x(0), x2: x(0) }, svg);

  // Sentences: report.json's segments (text emotion), else the cue sheet's captions.
  const segments = (report && report.segments) || sheet.captions.map((c) => ({ ...c, ...c.emotion }));
  for (const s of segments) {
    if (s.start_s === undefined) continue;
    const mid = x((s.start_s + s.end_s) / 2);
    const dot = el('circle', { cx: mid, cy: y(s.valence), r: 3.5, class: 'sentence-valence' }, sentences);
    el('title', {}, dot).textContent = s.text;  // a tooltip, as text
    el('rect', { x: mid - 3, y: y(s.arousal) - 3, width: 6, height: 6, class: 'sentence-arousal' }, sentences);
  }

  // The judged music per section (report.json), where the report has it.
  const reportSections = (report && report.sections) || [];
  if (reportSections.length === sheet.cues.length)
    sheet.cues.forEach((cue, i) => {
      const j = reportSections[i].judged;
      if (!j) return;
      el('line', { x1: x(cue.start_s), x2: x(cue.end_s), y1: y(j.valence), y2: y(j.valence), class: 'judged-valence' }, judged);
      el('line', { x1: x(cue.start_s), x2: x(cue.end_s), y1: y(j.arousal), y2: y(j.arousal), class: 'judged-arousal' }, judged);
    });

  const parts = sheet.cues.map((cue, i) => {
    const band = el('rect', { class: i % 2 ? 'band odd' : 'band', y: PAD_T, height: H - PAD_T - PAD_B }, bands);
    const label = el('text', { class: 'section-name', y: PAD_T - 8 }, bands);
    const valenceLine = el('line', { class: 'plan-valence' }, plan);
    const arousalLine = el('line', { class: 'plan-arousal' }, plan);
    const valence = slider(handles, 'circle', { r: 9, class: 'handle handle-valence' }, {
      get: () => cue.target.valence,
      set: (v) => (cue.target.valence = round(clamp(v, -1, 1))),
      min: -1, max: 1, step: STEP, big: BIG_STEP,
      fromPointer: (px, py) => valueAt(py),
    });
    const arousal = slider(handles, 'rect', { width: 14, height: 14, class: 'handle handle-arousal' }, {
      get: () => cue.target.arousal,
      set: (v) => (cue.target.arousal = round(clamp(v, -1, 1))),
      min: -1, max: 1, step: STEP, big: BIG_STEP,
      fromPointer: (px, py) => valueAt(py),
    });
    valence.node.dataset.section = i;
    arousal.node.dataset.section = i;
    let boundary = null;
    if (i + 1 < sheet.cues.length) {
      const next = sheet.cues[i + 1];
      boundary = slider(handles, 'rect', { width: 8, height: H - PAD_T - PAD_B, y: PAD_T, class: 'handle boundary' }, {
        get: () => cue.end_s,
        set: (s) => {
          const at = round(clamp(s, cue.start_s + MIN_CUE_S, next.end_s - MIN_CUE_S), 2);
          cue.end_s = at;
          next.start_s = at;
        },
        min: cue.start_s + MIN_CUE_S, max: next.end_s - MIN_CUE_S, step: TIME_STEP, big: 5 * TIME_STEP,
        horizontal: true,
        fromPointer: (px) => timeAt(px),
      });
      boundary.node.dataset.boundary = i;
    }
    return { cue, band, label, valenceLine, arousalLine, valence, arousal, boundary };
  });

  function slider(parent, shape, attrs, model) {
    const node = el(shape, { ...attrs, tabindex: 0, role: 'slider', focusable: 'true' }, parent);
    node.setAttribute('aria-orientation', model.horizontal ? 'horizontal' : 'vertical');
    const changed = () => { update(); onEdit(); };
    node.addEventListener('keydown', (event) => {
      const v = model.get();
      const keys = {
        ArrowUp: v + model.step, ArrowRight: v + model.step,
        ArrowDown: v - model.step, ArrowLeft: v - model.step,
        PageUp: v + model.big, PageDown: v - model.big,
        Home: model.min, End: model.max,
      };
      if (!(event.key in keys)) return;
      event.preventDefault();
      model.set(keys[event.key]);
      changed();
    });
    node.addEventListener('pointerdown', (event) => {
      event.preventDefault();
      node.focus();
      node.setPointerCapture(event.pointerId);
      const move = (e) => {
        const point = svg.createSVGPoint();
        point.x = e.clientX;
        point.y = e.clientY;
        const p = point.matrixTransform(svg.getScreenCTM().inverse());
        model.set(model.fromPointer(p.x, p.y));
        changed();
      };
      const up = () => {
        node.removeEventListener('pointermove', move);
        node.removeEventListener('pointerup', up);
        node.removeEventListener('pointercancel', up);
      };
      node.addEventListener('pointermove', move);
      node.addEventListener('pointerup', up);
      node.addEventListener('pointercancel', up);
    });
    return { node, model };
  }

  function update() {
    for (const [i, p] of parts.entries()) {
      const { cue } = p;
      const x0 = x(cue.start_s), x1 = x(cue.end_s), mid = (x0 + x1) / 2;
      p.band.setAttribute('x', x0);
      p.band.setAttribute('width', Math.max(0, x1 - x0));
      p.label.setAttribute('x', mid);
      p.label.setAttribute('text-anchor', 'middle');
      p.label.textContent = cue.name;
      for (const [line, v] of [[p.valenceLine, cue.target.valence], [p.arousalLine, cue.target.arousal]]) {
        line.setAttribute('x1', x0);
        line.setAttribute('x2', x1);
        line.setAttribute('y1', y(v));
        line.setAttribute('y2', y(v));
      }
      const v = p.valence.node, a = p.arousal.node;
      v.setAttribute('cx', mid - 10);
      v.setAttribute('cy', y(cue.target.valence));
      a.setAttribute('x', mid + 3);
      a.setAttribute('y', y(cue.target.arousal) - 7);
      setAria(v, t('handleValence', { name: cue.name }), cue.target.valence, -1, 1);
      setAria(a, t('handleArousal', { name: cue.name }), cue.target.arousal, -1, 1);
      if (p.boundary) {
        const next = sheet.cues[i + 1];
        p.boundary.model.min = cue.start_s + MIN_CUE_S;
        p.boundary.model.max = next.end_s - MIN_CUE_S;
        p.boundary.node.setAttribute('x', x1 - 4);
        setAria(p.boundary.node, t('boundary', { a: cue.name, b: next.name }), cue.end_s,
                p.boundary.model.min, p.boundary.model.max);
      }
    }
  }

  function setAria(node, label, value, min, max) {
    node.setAttribute('aria-label', label);
    node.setAttribute('aria-valuemin', round(min, 2));
    node.setAttribute('aria-valuemax', round(max, 2));
    node.setAttribute('aria-valuenow', round(value, 2));
    node.setAttribute('aria-valuetext', String(round(value, 2)));
  }

  update();
  return {
    update,
    setTime(seconds) {
      const px = x(clamp(seconds, 0, duration));
      playhead.setAttribute('x1', px);
      playhead.setAttribute('x2', px);
    },
  };
}
