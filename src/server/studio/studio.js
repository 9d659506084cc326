// The studio page: a story (or an edited cue sheet) -> a job on this server (POST /api/jobs), its
// progress from the event stream (/api/jobs/ID/events), then the arc, the player and the
// downloads. Everything from the story or the server reaches the page through textContent and
// attributes, never as markup; the page has no inline script or handler (the server's
// Content-Security-Policy forbids them).

import { chartWidth, drawArc } from './chart.js';
import { language, setLanguage, stageName, t, translate } from './i18n.js';
import { initLive, relabelLive } from './live.js';
import { drawWaveform } from './waveform.js';

const $ = (id) => document.getElementById(id);
const state = {
  job: null,       // the job shown (its JSON)
  sheet: null,     // its cue sheet, as edited
  report: null,    // its report.json
  chart: null,
  waveform: null,  // its waveform's playhead, once drawn
  lastStatus: null, // [key, values] of the status line, redrawn on a language switch
  recomposedFrom: null,
};

function make(tag, props = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v);
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

// A value as the section cards show it: three decimals are finer than anyone hears.
const shown = (v) => String(Math.round(v * 1000) / 1000);

const seconds = (s) => {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
};

function fileUrl(id, name) {
  return `/api/jobs/${encodeURIComponent(id)}/files/${name.split('/').map(encodeURIComponent).join('/')}`;
}

// An answer's JSON, or an Error carrying the server's message and its problems.
async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    throw new Error(t('notRunning', { error: e.message }));
  }
  const body = await response.json().catch(() => null);
  if (response.status === 401) askForToken();
  else if (response.ok) $('token-panel').hidden = true;
  if (!response.ok) {
    const error = new Error((body && body.error) || `HTTP ${response.status}`);
    error.problems = (body && body.problems) || [];
    throw error;
  }
  return body;
}

// A server started with --token: the token is kept as a cookie for this server only, which the
// browser sends with every request, those no script can add a header to included (the player,
// the downloads, the event stream).
function askForToken() {
  const panel = $('token-panel');
  if (!panel.hidden) return;
  panel.hidden = false;
  $('token-note').textContent = '';
  $('token').focus();
}

function saveToken(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  if (!token) return;
  // base64url: the server reads it so (a cookie value may hold no ";", and percent-escapes
  // would be undone before the server sees them).
  const encoded = btoa(token).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  document.cookie = `tonepoem_token=${encoded}; path=/; SameSite=Strict`;
  $('token').value = '';
  $('token-note').textContent = t('tokenSaved');
}

function showError(box, error) {
  box.replaceChildren();
  if (!error) return;
  box.appendChild(make('p', {}, error.problems && error.problems.length ? t('problems') : error.message));
  if (error.problems && error.problems.length) {
    const list = make('ul');
    for (const p of error.problems) list.appendChild(make('li', {}, `${p.field}: ${p.message}`));
    box.appendChild(list);
  }
}

function setStatus(key, values) {
  state.lastStatus = [key, values];
  $('job-status').textContent = t(key, values);
}

// --- starting a job ---------------------------------------------------------------------------

function storyRequest() {
  const request = {
    story: $('story').value,
    seed: Number.parseInt($('seed').value || '1', 10),
    lang: $('lang').value,
    video: $('video').checked,
    style: $('style').value,
    refine: $('refine').checked,
  };
  if ($('song').checked) {
    request.song = true;
    if ($('sing').checked) request.sing = true;
  }
  const duration = Number($('length').value);
  if (duration > 0) request.duration = duration;
  if ($('video').checked) request.quality = 'draft';
  return request;
}

async function submit(request, errorBox) {
  showError(errorBox, null);
  try {
    const job = await api('/api/jobs', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
    watch(job);
  } catch (e) {
    showError(errorBox, e);
  }
}

// Files as a form (the server reads each file's type from its bytes): a song (+ lyrics,
// pictures) for its music video, or a film (+ subtitles) to score. `panel` names the form's
// elements: `${panel}-error`, `${panel}-result`, `${panel}-video`, `${panel}-downloads`.
const uploads = {
  mv: { panel: 'mv', main: 'song', missing: 'noSong', video: 'video.mp4',
        options: { quality: 'draft', resolution: '640x360' },
        parts: [['song', 'mv-song'], ['lyrics', 'mv-lyrics'], ['images', 'mv-images'], ['clips', 'mv-clips']] },
  score: { panel: 'film', main: 'video', missing: 'noFilm', video: 'scored.mp4', options: {},
           parts: [['video', 'film-video-file'], ['subtitles', 'film-subtitles']] },
};

async function submitFiles(kind) {
  const spec = uploads[kind];
  const box = $(`${spec.panel}-error`);
  showError(box, null);
  const form = new FormData();
  form.append('kind', kind);
  form.append('options', JSON.stringify(spec.options));
  for (const [part, input] of spec.parts)
    for (const file of $(input).files) form.append(part, file, file.name);
  if (!form.has(spec.main)) return showError(box, new Error(t(spec.missing)));
  try {
    const job = await api('/api/jobs', { method: 'POST', body: form });
    $(`${spec.panel}-result`).hidden = true;
    watch(job, (done) => showMadeVideo(spec, done));
  } catch (e) {
    showError(box, e);
  }
}

function showMadeVideo(spec, job) {
  const box = $(`${spec.panel}-result`);
  box.hidden = false;
  box.dataset.jobId = job.id;
  $(`${spec.panel}-video`).src = fileUrl(job.id, spec.video);
  renderDownloads(job, $(`${spec.panel}-downloads`));
}

// --- progress ---------------------------------------------------------------------------------

function renderProgress(job) {
  $('progress-panel').hidden = false;
  const short = job.id.slice(0, 8);
  if (job.state === 'queued') setStatus('queued', { id: short });
  else if (job.state === 'running') setStatus('running', { id: short, stage: stageName(job.stage || '') });
  else if (job.state === 'done') setStatus('done', { id: short });
  else if (job.state === 'failed') setStatus('failed', { id: short, error: job.error || '' });
  else setStatus('cancelled', { id: short });

  const rows = (job.stages || []).map((s) => ({ name: s.name, fraction: 1, seconds: s.seconds }));
  if (job.state === 'running' && job.stage) rows.push({ name: job.stage, fraction: job.stage_progress || 0 });
  const list = $('stages');
  list.replaceChildren();
  for (const row of rows) {
    const item = make('li', { class: 'stage', dataset: { stage: row.name } });
    const label = make('span', { class: 'stage-name' }, stageName(row.name));
    const bar = make('progress', { max: '100', value: String(Math.round(row.fraction * 100)) });
    bar.setAttribute('aria-label', stageName(row.name));
    item.append(label, bar);
    if (row.seconds !== undefined) item.appendChild(make('span', { class: 'stage-time' }, `${row.seconds.toFixed(1)} s`));
    list.appendChild(item);
  }
}

// Follows a job to its end, then `onDone(job)` if it is done (a story's result by default).
function watch(job, onDone = showResult) {
  renderProgress(job);
  const buttons = ['start', 'recompose', 'mv-start', 'film-start'].map($);
  for (const b of buttons) b.disabled = true;
  const events = new EventSource(`/api/jobs/${encodeURIComponent(job.id)}/events`);
  const finish = (last) => {
    events.close();
    for (const b of buttons) b.disabled = false;
    renderProgress(last);
    if (last.state === 'done') onDone(last);
  };
  events.addEventListener('job', (e) => renderProgress(JSON.parse(e.data)));
  events.addEventListener('end', (e) => finish(JSON.parse(e.data)));
  events.addEventListener('error', () => {
    // The stream broke (server restarted?): ask once for the job's state.
    if (events.readyState !== EventSource.CLOSED) return;
    api(`/api/jobs/${encodeURIComponent(job.id)}`).then(finish, (err) => showError($('form-error'), err));
  });
}

// --- the result -------------------------------------------------------------------------------

async function showResult(job) {
  const [sheet, report] = await Promise.all([
    api(fileUrl(job.id, 'cues.json')),
    api(fileUrl(job.id, 'report.json')).catch(() => null),
  ]);
  state.job = job;
  state.sheet = sheet;
  state.report = report;
  const panel = $('result-panel');
  panel.hidden = false;
  panel.dataset.jobId = job.id;
  $('recomposed-from').textContent = state.recomposedFrom ? t('recomposedFrom', { id: state.recomposedFrom.slice(0, 8) }) : '';

  state.chart = drawArc($('chart'), sheet, report, () => renderEditor(false));
  renderEditor(true);
  renderPlayer(job, sheet);
  renderDownloads(job);
  renderSentences(report, sheet);
}

// One card per section: its valence, arousal and tension, and where it ends (the next starts
// there). `rebuild`: build the inputs anew; else only refresh their values.
function renderEditor(rebuild) {
  const box = $('section-editor');
  const cues = state.sheet.cues;
  if (rebuild) {
    box.replaceChildren();
    cues.forEach((cue, i) => {
      const card = make('fieldset', { class: 'section-card' });
      card.appendChild(make('legend', {}, cue.name));
      const fields = [
        ['valence', -1, 1, 0.05, () => cue.target.valence, (v) => (cue.target.valence = v)],
        ['arousal', -1, 1, 0.05, () => cue.target.arousal, (v) => (cue.target.arousal = v)],
        ['tension', 0, 1, 0.05, () => cue.target.tension, (v) => (cue.target.tension = v)],
      ];
      if (i + 1 < cues.length)
        fields.push(['ends', cue.start_s + 1, cues[i + 1].end_s - 1, 0.5, () => cue.end_s, (v) => {
          cue.end_s = v;
          cues[i + 1].start_s = v;
        }]);
      for (const [key, min, max, step, get, set] of fields) {
        const id = `section-${i}-${key}`;
        const field = make('div', { class: 'field' });
        field.appendChild(make('label', { for: id, dataset: { i18n: key } }, t(key)));
        const input = make('input', { id, type: 'number', min: String(min), max: String(max), step: String(step) });
        input.value = shown(get());
        input.dataset.key = key;
        input.addEventListener('change', () => {
          const v = Number(input.value);
          if (!Number.isFinite(v)) return;
          set(Math.round(Math.min(Number(input.max), Math.max(Number(input.min), v)) * 1000) / 1000);
          state.chart.update();
          renderEditor(false);
        });
        field.appendChild(input);
        card.appendChild(field);
      }
      // Music in this section, or a gap (cues.json "music": false).
      const musicField = make('div', { class: 'field check' });
      const music = make('input', { id: `section-${i}-music`, type: 'checkbox' });
      music.checked = cue.music !== false;
      music.addEventListener('change', () => {
        if (music.checked) delete cue.music;
        else cue.music = false;
      });
      musicField.appendChild(music);
      musicField.appendChild(make('label', { for: music.id, dataset: { i18n: 'sectionMusic' } }, t('sectionMusic')));
      card.appendChild(musicField);
      const actions = make('div', { class: 'card-actions' });
      const split = make('button', { type: 'button', id: `section-${i}-split`, dataset: { i18n: 'split' } }, t('split'));
      split.disabled = cue.end_s - cue.start_s < 2;  // two halves of at least a second
      split.addEventListener('click', () => splitSection(i));
      actions.appendChild(split);
      if (i + 1 < cues.length) {
        const merge = make('button', { type: 'button', id: `section-${i}-merge`, dataset: { i18n: 'merge' } }, t('merge'));
        merge.addEventListener('click', () => mergeWithNext(i));
        actions.appendChild(merge);
      }
      card.appendChild(actions);
      box.appendChild(card);
    });
    renderHits();
  }
  cues.forEach((cue, i) => {
    const values = { valence: cue.target.valence, arousal: cue.target.arousal, tension: cue.target.tension, ends: cue.end_s };
    for (const [key, v] of Object.entries(values)) {
      const input = document.getElementById(`section-${i}-${key}`);
      if (!input) continue;
      if (document.activeElement !== input) input.value = shown(v);
      if (key === 'ends') {
        input.min = String(cue.start_s + 1);
        input.max = String(cues[i + 1].end_s - 1);
      }
    }
  });
}

function renderPlayer(job, sheet) {
  const audio = $('audio');
  const outputs = job.outputs || [];
  audio.src = fileUrl(job.id, 'score.wav');
  state.waveform = null;
  drawWaveform($('waveform'), audio.src, sheet.cues, audio, t('waveformLabel')).then(
    (w) => { if (state.job === job) state.waveform = w; },
    () => { $('waveform').hidden = true; });  // not drawn: the player works without it
  const markers = $('markers');
  markers.replaceChildren();
  for (const cue of sheet.cues) {
    const button = make('button', { type: 'button', class: 'marker' }, `${seconds(cue.start_s)} ${cue.name}`);
    button.addEventListener('click', () => {
      audio.currentTime = cue.start_s;
      audio.play().catch(() => {});
    });
    markers.appendChild(make('li')).appendChild(button);
  }
  $('caption').textContent = '';
  const video = $('video-player');
  const hasVideo = outputs.includes('video.mp4');
  $('video-box').hidden = !hasVideo;
  if (hasVideo) video.src = fileUrl(job.id, 'video.mp4');
  else video.removeAttribute('src');
}

function onTime() {
  if (!state.sheet) return;
  const now = $('audio').currentTime;
  state.chart?.setTime(now);
  state.waveform?.setTime(now);
  const caption = state.sheet.captions.find((c) => now >= c.start_s && now < c.end_s);
  $('caption').textContent = caption ? caption.text : '';
  for (const [i, button] of [...$('markers').querySelectorAll('button')].entries()) {
    const cue = state.sheet.cues[i];
    button.setAttribute('aria-current', now >= cue.start_s && now < cue.end_s ? 'true' : 'false');
  }
}

function renderDownloads(job, list = $('downloads')) {
  list.replaceChildren();
  for (const name of job.outputs || []) {
    const link = make('a', { href: fileUrl(job.id, name), download: name.split('/').pop() }, name);
    list.appendChild(make('li')).appendChild(link);
  }
}

function renderSentences(report, sheet) {
  const list = $('sentences');
  list.replaceChildren();
  const rows = (report && report.segments) || sheet.captions.map((c) => ({ text: c.text, ...c.emotion }));
  for (const s of rows) {
    const item = make('li', { class: 'sentence' });
    item.appendChild(make('span', { class: 'sentence-text' }, s.text));
    item.appendChild(make('span', { class: 'sentence-emotion' },
      ` ${s.emotion || ''} (${t('valence')} ${Number(s.valence).toFixed(2)}, ${t('arousal')} ${Number(s.arousal).toFixed(2)})`));
    list.appendChild(item);
  }
}

// Edits that change the sections or the hits: the chart and the cards are drawn again.
function editSheet(change) {
  change(state.sheet);
  state.chart = drawArc($('chart'), state.sheet, state.report, () => renderEditor(false));
  renderEditor(true);
}

// Two sections where there was one, cut in the middle, each with the same target.
function splitSection(i) {
  editSheet((sheet) => {
    const cue = sheet.cues[i];
    const middle = Math.round(((cue.start_s + cue.end_s) / 2) * 1000) / 1000;
    const second = JSON.parse(JSON.stringify(cue));
    cue.end_s = middle;
    second.start_s = middle;
    second.name = `${cue.name} (2)`;
    sheet.cues.splice(i + 1, 0, second);
  });
}

// One section from this one and the next: the first's target and name, both spans.
function mergeWithNext(i) {
  editSheet((sheet) => {
    sheet.cues[i].end_s = sheet.cues[i + 1].end_s;
    sheet.cues.splice(i + 1, 1);
  });
}

// The cue sheet's hit points: a list with a remove button each, and a time to add one at (the
// music marks it within a beat: an accent, a stinger, a held chord).
function renderHits() {
  const list = $('hit-points');
  list.replaceChildren();
  const hits = state.sheet.hits || [];
  hits.forEach((hit, i) => {
    const item = make('li');
    item.appendChild(make('span', {}, `${shown(hit.time_s)} s · ${hit.kind}${hit.text ? ` · ${hit.text}` : ''}`));
    const remove = make('button', { type: 'button', class: 'remove-hit', dataset: { i18n: 'removeHit' } }, t('removeHit'));
    remove.addEventListener('click', () => editSheet((sheet) => sheet.hits.splice(i, 1)));
    item.appendChild(remove);
    list.appendChild(item);
  });
  $('hit-time').max = String(state.sheet.duration_s);
}

function addHit() {
  const time = Number($('hit-time').value);
  if (!Number.isFinite(time) || time < 0 || time > state.sheet.duration_s) return;
  editSheet((sheet) => {
    sheet.hits = sheet.hits || [];
    sheet.hits.push({ time_s: Math.round(time * 1000) / 1000, kind: 'accent', text: '' });
    sheet.hits.sort((a, b) => a.time_s - b.time_s);
  });
}

// The edited cue sheet as a new job, with the first job's rendering options (video, style, ...);
// the cue sheet brings its own seed and is composed as written.
function recompose() {
  const request = { ...state.job.options };
  for (const field of ['story', 'story_name', 'duration', 'lang', 'narrate', 'voice', 'duck', 'song', 'lyrics', 'sing', 'seed', 'refine', 'refine_budget'])
    delete request[field];
  request.cues = state.sheet;
  state.recomposedFrom = state.job.id;
  submit(request, $('recompose-error'));
}

// --- language, drop, wiring -------------------------------------------------------------------

function applyLanguage(lang) {
  setLanguage(lang);
  try { localStorage.setItem('tonepoem-lang', lang); } catch { /* private mode */ }
  for (const button of document.querySelectorAll('[data-lang]'))
    button.setAttribute('aria-pressed', String(button.dataset.lang === language()));
  translate(document);
  if (state.lastStatus) setStatus(...state.lastStatus);
  relabelLive();
  if (state.sheet) {
    state.chart = drawArc($('chart'), state.sheet, state.report, () => renderEditor(false));
    renderSentences(state.report, state.sheet);
    $('recomposed-from').textContent = state.recomposedFrom ? t('recomposedFrom', { id: state.recomposedFrom.slice(0, 8) }) : '';
  }
  for (const item of $('stages').querySelectorAll('li')) {
    item.querySelector('.stage-name').textContent = stageName(item.dataset.stage);
  }
}

function wire() {
  $('make-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (!$('story').value.trim()) return showError($('form-error'), new Error(t('emptyStory')));
    state.recomposedFrom = null;
    submit(storyRequest(), $('form-error'));
  });
  $('token-form').addEventListener('submit', saveToken);
  for (const [kind, form] of [['mv', 'mv-form'], ['score', 'film-form']])
    $(form).addEventListener('submit', (event) => {
      event.preventDefault();
      submitFiles(kind);
    });
  $('recompose').addEventListener('click', recompose);
  $('add-hit').addEventListener('click', addHit);
  // A sung guide voice sings a song's words: offered once a song is asked for.
  $('song').addEventListener('change', () => {
    $('sing').disabled = !$('song').checked;
    if (!$('song').checked) $('sing').checked = false;
  });
  initLive({ api, showError });
  for (const button of document.querySelectorAll('[data-lang]'))
    button.addEventListener('click', () => applyLanguage(button.dataset.lang));
  $('audio').addEventListener('timeupdate', onTime);
  // Phone or wide screen: the chart is drawn again when its width class changes.
  let drawnFor = chartWidth($('chart').clientWidth);
  window.addEventListener('resize', () => {
    const now = chartWidth($('chart').clientWidth);
    if (now === drawnFor || !state.sheet) return;
    drawnFor = now;
    state.chart = drawArc($('chart'), state.sheet, state.report, () => renderEditor(false));
  });
  const story = $('story');
  story.addEventListener('dragover', (event) => event.preventDefault());
  story.addEventListener('drop', (event) => {
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (!file) return;
    event.preventDefault();
    file.text().then((text) => { story.value = text; }, () => showError($('form-error'), new Error(t('dropFailed'))));
  });
  let saved = null;
  try { saved = localStorage.getItem('tonepoem-lang'); } catch { /* private mode */ }
  const preferred = saved || ((navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en');
  applyLanguage(preferred);
  document.body.dataset.ready = 'true';
}

wire();
