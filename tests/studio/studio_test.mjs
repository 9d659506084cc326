// The studio page in real Chromium: starts `tonepoem serve` on a free 127.0.0.1 port, drives
// Debian's chromium headless with puppeteer-core (installed by scripts/setup into the data folder)
// and checks what a writer sees and gets: a story pasted and made, the progress, the arc with a
// handle per section, a section's valence moved with the keyboard and re-composed (new MIDI, the
// edit in its cue sheet, audio the browser decodes), the downloads, the Chinese UI, a phone-width
// layout with no sideways scrolling, and a story's <script> shown as text; and the Live panel:
// music from the live engine streamed and played, steered from the emotion pad (keyboard and
// drag, throttled), a hit, a stop on a cadence, the stream's end; a song and its lyrics chosen as
// files and made into a music video the page plays, a film and its subtitles scored the same way;
// with --token, the page asking for it; no request leaves the server.
//
// Usage: node studio_test.mjs TONEPOEM_BINARY   (env: TONEPOEM_DATA, TONEPOEM_CHROMIUM;
//        TONEPOEM_SCREENSHOTS=DIR also saves screenshots there)

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const binary = process.argv[2];
const dataDir = process.env.TONEPOEM_DATA;
const chromium = process.env.TONEPOEM_CHROMIUM || '/usr/bin/chromium';
const screenshots = process.env.TONEPOEM_SCREENSHOTS;
assert.ok(binary && dataDir, 'usage: TONEPOEM_DATA=DIR node studio_test.mjs TONEPOEM_BINARY');
const puppeteer = createRequire(join(dataDir, 'npm', 'package.json'))('puppeteer-core');

const STORY = [
  'Mara found the lantern at the bottom of the old well.',
  'It was cold and dark, and she was afraid. She whispered <script>window.__pwned = 1</script> into the dark.',
  'Then the light came back, warm and golden, and she laughed with joy.',
].join('\n\n***\n\n');  // three scenes, a section each

const work = mkdtempSync(join(tmpdir(), 'tonepoem-studio-'));
// The repository (tests/studio/..): its docs/ pictures are the song video's pictures.
const sourceDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let browser;
const servers = [];
const started = Date.now();
const step = (what) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);

// `tonepoem serve` on any free port (with `extra` flags); resolves to its base URL once it prints
// it.
function startServer(extra = [], data = join(work, 'data')) {
  // The default --max-upload takes a song or a film as a newcomer would send them.
  const child = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--data', data, '--workers', '2', ...extra],
                      { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(child);
  return new Promise((resolve, reject) => {
    const server = child;
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`tonepoem serve exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error('tonepoem serve printed no URL in 30 s')), 30000);
  });
}

async function bytes(url) {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return Buffer.from(await response.arrayBuffer());
}

async function liveStatus(base, id) {
  const response = await fetch(`${base}/api/live/${id}`);
  assert.equal(response.status, 200, `GET /api/live/${id}`);
  return response.json();
}

// Polls GET /api/live/ID until `test(status)` holds; returns that status.
async function waitForLive(base, id, what, test, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  let status;
  while (Date.now() < until) {
    status = await liveStatus(base, id);
    if (test(status)) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`live session ${id}: ${what} not seen in ${timeoutMs / 1000} s: ${JSON.stringify(status)}`);
}

const liveData = (page) => page.$eval('#live-panel', (p) => ({ ...p.dataset }));

// The Live panel: start piano music, hear it arrive, steer it, hit it, stop it.
async function checkLive(page, base, requests) {
  const SECOND = 48000 * 4;  // bytes of one second of 48 kHz s16le stereo
  assert.deepEqual(await page.$$eval('#live-style option', (os) => os.map((o) => o.value)),
                   ['default', 'piano', 'strings', 'chiptune', 'ambient']);
  assert.equal(await page.$eval('#live-at', (s) => s.value), 'beat');
  assert.equal(await page.$eval('#live-stop', (b) => b.disabled), true, 'nothing to stop yet');
  await page.select('#live-style', 'piano');
  await page.click('#live-start');
  await page.waitForFunction(
    (bytes) => {
      const p = document.getElementById('live-panel');
      const error = document.getElementById('live-error').textContent;
      if (error) throw new Error(error);
      return Number(p.dataset.pcmBytes) > bytes && Number(p.dataset.pcmRms) > 0.001;
    },
    { timeout: 20000, polling: 50 }, SECOND);
  let data = await liveData(page);
  const id = data.liveId;
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(data.stream, 'open');
  assert.equal(data.audio, 'running', 'the AudioContext plays');
  const first = await liveStatus(base, id);
  assert.equal(first.style, 'piano');
  assert.equal(first.streaming, true);
  assert.equal(first.finished, false);
  step(`live session ${id}: ${data.pcmBytes} bytes of PCM, rms ${Number(data.pcmRms).toFixed(4)}`);

  // The pad from the keyboard: three steps left (sadder), three down (calmer).
  const pad = '#live-pad';
  assert.equal(await page.$eval(pad, (p) => p.getAttribute('role')), 'slider');
  const start = { valence: first.valence, arousal: first.arousal };
  assert.equal(await page.$eval(pad, (p) => p.getAttribute('aria-valuetext')),
               `valence ${start.valence}, arousal ${start.arousal}`);
  await page.focus(pad);
  for (let i = 0; i < 3; ++i) await page.keyboard.press('ArrowLeft');
  for (let i = 0; i < 3; ++i) await page.keyboard.press('ArrowDown');
  const want = { valence: Math.round((start.valence - 0.3) * 100) / 100, arousal: Math.round((start.arousal - 0.3) * 100) / 100 };
  assert.equal(await page.$eval(pad, (p) => p.getAttribute('aria-valuetext')),
               `valence ${want.valence}, arousal ${want.arousal}`);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'live-pad');
  const moved = await waitForLive(base, id, `a change to ${JSON.stringify(want)}`,
    (s) => s.changes >= 1 && Math.abs(s.valence - want.valence) < 1e-6 && Math.abs(s.arousal - want.arousal) < 1e-6);
  step(`keys moved the emotion to valence ${moved.valence}, arousal ${moved.arousal}: ${moved.changes} change(s)`);

  // A drag across the pad, bottom left to top right: the commands are throttled (about five a
  // second), and the last one is where the drag ended.
  const box = await (await page.$(pad)).boundingBox();
  const sentBefore = requests.filter((r) => r.method === 'POST' && r.url.endsWith('/commands')).length;
  const dragStarted = Date.now();
  await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.9);
  await page.mouse.down();
  for (let i = 1; i <= 30; ++i)
    await page.mouse.move(box.x + box.width * (0.1 + 0.02 * i), box.y + box.height * (0.9 - 0.02 * i));
  await page.mouse.up();
  const dragMs = Date.now() - dragStarted;
  const text = await page.$eval(pad, (p) => p.getAttribute('aria-valuetext'));
  const [, dv, da] = text.match(/^valence (-?[\d.]+), arousal (-?[\d.]+)$/).map(Number);
  assert.ok(Math.abs(dv - 0.4) < 0.03 && Math.abs(da - 0.4) < 0.03, `the drag ended at ${text}`);
  await waitForLive(base, id, `the drag's end (${text})`,
    (s) => Math.abs(s.valence - dv) < 1e-6 && Math.abs(s.arousal - da) < 1e-6, 10000);
  const sent = requests.filter((r) => r.method === 'POST' && r.url.endsWith('/commands')).length - sentBefore;
  assert.ok(sent >= 2 && sent <= Math.ceil(dragMs / 200) + 2, `${sent} commands for a ${dragMs} ms drag`);
  step(`a ${dragMs} ms drag to ${text}: ${sent} commands`);

  // A hit, then the status line shows it.
  await page.click('#live-hits button[data-hit="danger"]');
  const hit = await waitForLive(base, id, 'the danger hit', (s) => s.hits >= 1);
  await page.waitForFunction(() => /hits: [1-9]/.test(document.getElementById('live-status').textContent),
                             { timeout: 5000 });

  // The layout fits a 360 px phone.
  await page.setViewport({ width: 360, height: 800 });
  await new Promise((r) => setTimeout(r, 100));
  const width = await page.evaluate(() => [document.documentElement.scrollWidth, document.getElementById('live-pad').getBoundingClientRect().right]);
  assert.ok(width[0] <= 360 && width[1] <= 360, `the live panel at 360 px: ${width}`);
  if (screenshots) await page.screenshot({ path: join(screenshots, 'studio-live-phone.png'), fullPage: true });
  await page.setViewport({ width: 1200, height: 900 });

  // Stop on a cadence: the music finishes, the stream ends, the panel is ready for another.
  await page.click('#live-stop');
  const done = await waitForLive(base, id, 'the end after a stop', (s) => s.finished, 60000);
  await page.waitForFunction(() => {
    const p = document.getElementById('live-panel');
    return p.dataset.stream === 'ended' && p.dataset.state === 'idle';
  }, { timeout: 10000 });
  data = await liveData(page);
  assert.equal(Number(data.pcmBytes) % 4, 0, 'whole frames');
  assert.ok(Number(data.pcmBytes) > 3 * SECOND, `${data.pcmBytes} bytes`);
  assert.equal(await page.$eval('#live-start', (b) => b.disabled), false);
  assert.equal(await page.$eval('#live-stop', (b) => b.disabled), true);
  assert.match(await page.$eval('#live-status', (p) => p.textContent), /^Finished: /);
  const last = await liveStatus(base, id);
  assert.equal(last.streaming, false);
  assert.ok(last.hits >= hit.hits && last.changes >= moved.changes);
  assert.ok(Math.abs(Number(data.pcmBytes) / SECOND - last.seconds) < 0.25,
            `the page received ${data.pcmBytes} bytes of ${last.seconds} s of music`);
  step(`live session stopped: ${done.seconds.toFixed(1)} s of music, ${data.pcmBytes} bytes received, ` +
       `${last.changes} changes, ${last.hits} hits`);
}

// Waits until the result panel shows a finished job other than `previous`; returns its id.
async function waitForResult(page, previous) {
  await page.waitForFunction(
    (prev) => {
      const panel = document.getElementById('result-panel');
      const status = document.getElementById('job-status').textContent;
      if (/failed|失败/.test(status)) throw new Error(status);
      return !panel.hidden && panel.dataset.jobId && panel.dataset.jobId !== prev && document.querySelector('#chart svg');
    },
    { timeout: 60000, polling: 100 }, previous || '');
  return page.$eval('#result-panel', (p) => p.dataset.jobId);
}

// The song panel: a song, its lyrics and two pictures chosen as files, its music video made and
// played.
async function checkSongVideo(page, base) {
  const song = join(work, 'song.flac'), mid = join(work, 'song.mid'), lyrics = join(work, 'Song Words.lrc');
  const quietly = { stdio: 'ignore' };
  execFileSync(binary, ['compose', '--emotion', '0.3,0.45,0.2', '--duration', '8', '--seed', '5', '-o', mid], quietly);
  execFileSync(binary, ['render', mid, '-o', song, '--soundfont', '/usr/share/sounds/sf2/TimGM6mb.sf2'], quietly);
  writeFileSync(lyrics, '[00:01.00]Hello bright world\n[00:04.00]A second line\n');
  await (await page.$('#mv-song')).uploadFile(song);
  await (await page.$('#mv-lyrics')).uploadFile(lyrics);
  const pictures = ['arc-jorinda.png', 'report-lantern.png'].map((name) => join(sourceDir, 'docs', name));
  await (await page.$('#mv-images')).uploadFile(...pictures);
  await page.click('#mv-start');
  await page.waitForFunction(() => {
    const status = document.getElementById('job-status').textContent;
    if (/failed|失败/.test(status)) throw new Error(status);
    const video = document.getElementById('mv-video');
    return !document.getElementById('mv-result').hidden && video.readyState >= 1 && video.duration > 0;
  }, { timeout: 90000, polling: 100 });
  const duration = await page.$eval('#mv-video', (v) => v.duration);
  const id = await page.$eval('#mv-result', (box) => box.dataset.jobId);
  const job = await (await fetch(`${base}/api/jobs/${id}`)).json();
  assert.equal(job.kind, 'mv');
  assert.equal(job.options.images, true, JSON.stringify(job.options));
  const stored = readdirSync(join(work, 'data', 'uploads', job.options.upload, 'images'));
  assert.deepEqual(stored.sort(), ['001.png', '002.png'], 'both pictures were sent and stored');
  const offered = await page.$$eval('#mv-downloads a', (as) => as.map((a) => a.textContent));
  for (const name of ['video.mp4', 'timeline.json', 'report.json'])
    assert.ok(offered.includes(name), `${name} offered: ${JSON.stringify(offered)}`);
  const timeline = JSON.parse(await bytes(`${base}/api/jobs/${id}/files/timeline.json`));
  assert.equal(timeline.captions.length, 2, 'the lyrics are on screen');
  // The song as rendered (8 s of music and its last notes' release) and its video, to a frame.
  assert.ok(timeline.duration_s > 8 && timeline.duration_s < 10, `the song: ${timeline.duration_s} s`);
  assert.ok(Math.abs(duration - timeline.duration_s) < 0.1,
            `the music video lasts as long as the song: ${duration} s vs ${timeline.duration_s} s`);
  if (screenshots) await (await page.$('#song-panel')).screenshot({ path: join(screenshots, 'studio-song.png') });
  step(`song video ${id} made: ${duration.toFixed(2)} s, ${timeline.beats.length} beats`);
}

// The film panel: a film (made here by the CLI) and its subtitles chosen as files, scored, and
// the scored film played.
async function checkFilm(page, base) {
  const story = join(work, 'film-story.txt'), made = join(work, 'film'), srt = join(work, 'film.srt');
  writeFileSync(story, 'The lantern glowed in the dark well.');
  execFileSync(binary, ['make', story, '-o', made, '--duration', '8', '--no-refine', '--quality', 'draft',
                        '--resolution', '320x180', '-q'], { stdio: 'ignore' });
  writeFileSync(srt, '1\n00:00:01,000 --> 00:00:03,000\nWhere were you?\n\n2\n00:00:05,000 --> 00:00:07,000\nI was afraid.\n');
  await (await page.$('#film-video-file')).uploadFile(join(made, 'video.mp4'));
  await (await page.$('#film-subtitles')).uploadFile(srt);
  await page.click('#film-start');
  await page.waitForFunction(() => {
    const status = document.getElementById('job-status').textContent;
    if (/failed|失败/.test(status)) throw new Error(status);
    const video = document.getElementById('film-video');
    return !document.getElementById('film-result').hidden && video.readyState >= 1 && video.duration > 0;
  }, { timeout: 90000, polling: 100 });
  const duration = await page.$eval('#film-video', (v) => v.duration);
  const id = await page.$eval('#film-result', (box) => box.dataset.jobId);
  const job = await (await fetch(`${base}/api/jobs/${id}`)).json();
  assert.equal(job.kind, 'score');
  const offered = await page.$$eval('#film-downloads a', (as) => as.map((a) => a.textContent));
  for (const name of ['scored.mp4', 'score.mid', 'cues.json', 'hits.edl'])
    assert.ok(offered.includes(name), `${name} offered: ${JSON.stringify(offered)}`);
  const sheet = JSON.parse(await bytes(`${base}/api/jobs/${id}/files/cues.json`));
  assert.ok(Math.abs(duration - sheet.duration_s) < 0.2, `the scored film ${duration} s, its cues ${sheet.duration_s} s`);
  assert.equal(sheet.captions.length, 2, 'the subtitles drove it');
  step(`film ${id} scored: ${duration.toFixed(2)} s, ${sheet.cues.length} cue(s)`);

  // The same film as a video clip for the song: the song panel's music video cut from it.
  const previous = await page.$eval('#mv-result', (box) => box.dataset.jobId);
  await (await page.$('#mv-song')).uploadFile(join(work, 'song.flac'));
  await page.$eval('#mv-images', (input) => { input.value = ''; });  // clips, not pictures
  await (await page.$('#mv-clips')).uploadFile(join(made, 'video.mp4'));
  await page.click('#mv-start');
  await page.waitForFunction((prev) => {
    const status = document.getElementById('job-status').textContent;
    if (/failed|失败/.test(status)) throw new Error(status);
    const box = document.getElementById('mv-result');
    return !box.hidden && box.dataset.jobId !== prev && document.getElementById('mv-video').readyState >= 1;
  }, { timeout: 90000, polling: 100 }, previous);
  const clipJob = await page.$eval('#mv-result', (box) => box.dataset.jobId);
  const clipRecord = await (await fetch(`${base}/api/jobs/${clipJob}`)).json();
  assert.equal(clipRecord.options.clips, true, JSON.stringify(clipRecord.options));
  const clipTimeline = JSON.parse(await bytes(`${base}/api/jobs/${clipJob}/files/timeline.json`));
  assert.ok(clipTimeline.cuts.length > 0, 'the clip is cut to the song');
  step(`song video ${clipJob} cut from a clip: ${clipTimeline.cuts.length} cut(s)`);
}

// A server started with --token: the page asks for the token once, and with it the job runs,
// its events stream, its audio plays and its waveform is drawn (requests no script can add a
// header to carry the token as the cookie the page set).
async function checkToken() {
  const token = 'studio-s3cret;=%';
  const base = await startServer(['--token', token], join(work, 'token-data'));
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(base + '/', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  await page.$eval('#story', (area, text) => { area.value = text; }, 'The lantern glowed.\n\n***\n\nShe laughed with joy.');
  await page.select('#length', '10');
  await page.$eval('#video', (box) => { if (box.checked) box.click(); });
  await page.click('#start');
  await page.waitForSelector('#token-panel:not([hidden])', { timeout: 10000 });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'token', 'the token field has the focus');
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('token-note').textContent !== '');
  await page.click('#start');
  const id = await waitForResult(page);
  assert.ok(await page.$eval('#token-panel', (p) => p.hidden), 'the token panel closes once a request passes');
  await page.waitForFunction(() => document.getElementById('audio').readyState >= 1, { timeout: 20000 });
  await page.waitForSelector('#waveform:not([hidden]) svg path.wave', { timeout: 30000 });
  const job = await (await fetch(`${base}/api/jobs/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
  assert.equal(job.state, 'done');
  assert.equal((await fetch(`${base}/api/jobs/${id}`)).status, 401, 'and nothing passes without it');
  assert.deepEqual(problems, []);
  await page.close();
  step(`with --token: job ${id} made, played and drawn through the page`);
}

async function main() {
  const base = await startServer();
  step(`server at ${base}`);
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
  });
  const page = await browser.newPage();
  const problems = [];
  const requests = [];
  page.on('request', (r) => requests.push({ method: r.method(), url: r.url() }));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()} ${m.location().url || ''}`); });
  await page.setViewport({ width: 1200, height: 900 });
  const response = await page.goto(base + '/', { waitUntil: 'load' });
  assert.equal(response.status(), 200);
  const csp = response.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'self'/, 'the page carries a Content-Security-Policy');
  assert.doesNotMatch(csp, /unsafe-inline/);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.$eval('#start', (b) => b.textContent), 'Start');
  step('page loaded');

  await checkLive(page, base, requests);
  await checkSongVideo(page, base);
  await checkFilm(page, base);

  // Paste a story, choose a short piece without video, start.
  await page.$eval('#story', (area, text) => { area.focus(); }, STORY);
  await page.keyboard.sendCharacter(STORY);  // as a paste: one input of the whole text
  assert.equal(await page.$eval('#story', (a) => a.value), STORY);
  await page.select('#length', '10');
  await page.$eval('#video', (box) => { if (box.checked) box.click(); });
  await page.$eval('#seed', (input) => { input.value = '5'; });
  await page.click('#start');
  await page.waitForSelector('#progress-panel:not([hidden]) #stages li', { timeout: 30000 });
  const first = await waitForResult(page);
  step(`first job ${first} done`);
  const stages = await page.$$eval('#stages li', (items) => items.map((li) => [li.dataset.stage, li.querySelector('progress').value]));
  for (const name of ['read', 'analyze', 'plan', 'synthesize'])
    assert.ok(stages.some(([s, v]) => s === name && v === 100), `stage ${name} shown finished: ${JSON.stringify(stages)}`);

  // The arc: one valence and one arousal handle per section of the job's cue sheet.
  const sheet = JSON.parse(await bytes(`${base}/api/jobs/${first}/files/cues.json`));
  const sections = sheet.cues.length;
  assert.ok(sections >= 1);
  assert.equal(await page.$$eval('#chart .handle-valence', (h) => h.length), sections);
  assert.equal(await page.$$eval('#chart .handle-arousal', (h) => h.length), sections);
  assert.equal(await page.$$eval('#chart .boundary', (h) => h.length), sections - 1);
  assert.equal(await page.$$eval('#markers button', (b) => b.length), sections);
  const report = JSON.parse(await bytes(`${base}/api/jobs/${first}/files/report.json`));
  assert.equal(await page.$$eval('#chart .sentence-valence', (d) => d.length),
               report.segments.filter((s) => s.start_s !== undefined).length);

  // The waveform under the player: decoded from the job's audio, a line where each later section
  // starts, and a click in its middle moves the player there.
  await page.waitForSelector('#waveform:not([hidden]) svg path.wave', { timeout: 30000 });
  assert.equal(await page.$$eval('#waveform .wave-section', (l) => l.length), sections - 1);
  const wave = await page.$eval('#waveform', (w) => ({ ...w.dataset }));
  assert.ok(Math.abs(Number(wave.duration) - sheet.duration_s) < 2.5, `waveform ${JSON.stringify(wave)}, cues ${sheet.duration_s} s`);
  assert.ok(Number(wave.peak) > 0.05, `the waveform is of music, not silence: ${JSON.stringify(wave)}`);
  await page.waitForFunction(() => document.getElementById('audio').readyState >= 1, { timeout: 10000 });
  await (await page.$('#waveform svg')).click();  // scrolled into view, clicked in its middle
  const seekedTo = await page.$eval('#audio', (a) => a.currentTime);
  assert.ok(Math.abs(seekedTo - Number(wave.duration) / 2) < 0.5, `a click in the middle seeks to ${seekedTo} s`);
  await page.waitForFunction(() => {
    const x = Number(document.querySelector('#waveform .wave-playhead').getAttribute('x1'));
    return x > 300 && x < 500;  // of 800: the playhead followed
  }, { timeout: 5000 });
  await page.$eval('#audio', (a) => { a.pause(); a.currentTime = 0; });

  // The story's markup is text: shown literally, never run.
  const sentences = await page.$$eval('#sentences .sentence-text', (items) => items.map((i) => i.textContent));
  assert.ok(sentences.some((s) => s.includes('<script>window.__pwned = 1</script>')), JSON.stringify(sentences));
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.$$eval('script', (s) => s.length), 1, 'no script element was added');

  // Move the last section's valence with the keyboard: focus its handle, arrow keys.
  const k = sections - 1;
  const handle = `#chart .handle-valence[data-section="${k}"]`;
  const before = Number(await page.$eval(handle, (h) => h.getAttribute('aria-valuenow')));
  assert.equal(before, Math.round(sheet.cues[k].target.valence * 100) / 100);
  await page.$eval(handle, (h) => h.focus());  // an SVG element: puppeteer's focus() takes HTML only
  assert.equal(await page.evaluate(() => document.activeElement.dataset.section), String(k));
  const key = before < 0 ? 'ArrowUp' : 'ArrowDown';
  for (let i = 0; i < 16; ++i) await page.keyboard.press(key);
  // The card's input holds the exact value; the slider announces it to two decimals.
  const after = Number(await page.$eval(`#section-${k}-valence`, (i) => i.value));
  const expected = Math.max(-1, Math.min(1, sheet.cues[k].target.valence + (before < 0 ? 0.8 : -0.8)));
  assert.ok(Math.abs(after - expected) < 0.002, `valence ${sheet.cues[k].target.valence} -> ${after}`);
  const announced = Number(await page.$eval(handle, (h) => h.getAttribute('aria-valuenow')));
  assert.ok(Math.abs(announced - after) < 0.006, `the handle says ${announced}, the card ${after}`);
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains('handle-valence')), true);
  if (screenshots) await page.screenshot({ path: join(screenshots, 'studio-arc.png'), fullPage: true });

  // Split the longest section in two, merge them back, split it again: one section more; mark a
  // hit point at 3 s.
  let longest = 0;
  sheet.cues.forEach((c, i) => {
    if (c.end_s - c.start_s > sheet.cues[longest].end_s - sheet.cues[longest].start_s) longest = i;
  });
  await page.click(`#section-${longest}-split`);
  assert.equal(await page.$$eval('#chart .handle-valence', (h) => h.length), sections + 1);
  assert.equal(await page.$$eval('#section-editor .section-card', (c) => c.length), sections + 1);
  await page.click(`#section-${longest}-merge`);
  assert.equal(await page.$$eval('#chart .handle-valence', (h) => h.length), sections);
  await page.click(`#section-${longest}-split`);
  // The last section becomes a gap: no music there.
  const last = sections;  // after the split, the last card
  assert.equal(await page.$eval(`#section-${last}-music`, (box) => box.checked), true);
  await page.click(`#section-${last}-music`);
  const hitsBefore = (sheet.hits || []).length;
  await page.$eval('#hit-time', (input) => { input.value = '3'; });
  await page.click('#add-hit');
  assert.equal(await page.$$eval('#hit-points li', (items) => items.length), hitsBefore + 1);

  // Re-compose: a new job from the edited cue sheet, with the same seed.
  await page.click('#recompose');
  const second = await waitForResult(page, first);
  step(`re-composed job ${second} done`);
  assert.notEqual(second, first);
  const edited = JSON.parse(await bytes(`${base}/api/jobs/${second}/files/cues.json`));
  assert.equal(edited.cues.length, sections + 1, 'the split section is two');
  const cut = (sheet.cues[longest].start_s + sheet.cues[longest].end_s) / 2;
  assert.ok(Math.abs(edited.cues[longest].end_s - cut) < 0.01 && edited.cues[longest + 1].start_s === edited.cues[longest].end_s);
  assert.ok(edited.hits.some((h) => h.time_s === 3), `the hit at 3 s: ${JSON.stringify(edited.hits)}`);
  assert.equal(edited.cues[sections].music, false, 'the last section is a gap');
  assert.ok(edited.cues.slice(0, sections).every((c) => c.music === undefined), 'the others have music');
  const editedReport = JSON.parse(await bytes(`${base}/api/jobs/${second}/files/report.json`));
  const marked = editedReport.hits.find((h) => h.time_s === 3);
  assert.ok(marked && marked.music && Math.abs(marked.music.offset_s) < 1, `the music marks it: ${JSON.stringify(marked)}`);
  // Every section keeps its target (the edited one its new valence), the split one in both halves.
  const targets = sheet.cues.map((c, i) => (i === k ? after : c.target.valence));
  targets.splice(longest + 1, 0, targets[longest]);
  assert.deepEqual(edited.cues.map((c) => c.target.valence), targets);
  assert.equal(edited.seed, sheet.seed);
  const [midiBefore, midiAfter] = await Promise.all([
    bytes(`${base}/api/jobs/${first}/files/score.mid`), bytes(`${base}/api/jobs/${second}/files/score.mid`)]);
  assert.equal(midiBefore.subarray(0, 4).toString(), 'MThd');
  assert.notDeepEqual(midiAfter, midiBefore, 'the edit changed the music');
  assert.match(await page.$eval('#recomposed-from', (p) => p.textContent), new RegExp(first.slice(0, 8)));

  // The browser decodes the re-composed audio: its length is the cue sheet's.
  await page.waitForFunction(() => document.getElementById('audio').readyState >= 1, { timeout: 20000 });
  const audio = await page.$eval('#audio', (a) => ({ src: a.src, duration: a.duration }));
  assert.match(audio.src, new RegExp(`/api/jobs/${second}/files/score.wav$`));
  assert.ok(Math.abs(audio.duration - edited.duration_s) < 2.5, `audio ${audio.duration} s, cues ${edited.duration_s} s`);
  // A section marker seeks the player and the caption follows.
  // (The list is drawn again when the job's files arrive: wait until the button is shown, and
  // click again if it was replaced between finding and clicking it.)
  for (let tries = 0; ; ++tries) {
    await page.waitForSelector('#markers li:first-child button', { visible: true, timeout: 10000 });
    try {
      await page.click('#markers li:first-child button');
      break;
    } catch (e) {
      if (tries >= 4) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const at = edited.captions[1].start_s + 0.1;
  await page.$eval('#audio', (a, t) => { a.pause(); a.currentTime = t; }, at);
  await page.waitForFunction((text) => document.getElementById('caption').textContent === text,
                             { timeout: 5000 }, edited.captions[1].text).catch(async (e) => {
    const seen = await page.$eval('#caption', (c) => c.textContent);
    const time = await page.$eval('#audio', (a) => [a.currentTime, a.readyState, a.seeking]);
    throw new Error(`caption at ${at} s: "${seen}" (audio ${time}), wanted "${edited.captions[1].text}": ${e.message}`);
  });

  // Every output is offered for download, and each link answers.
  const job = await (await fetch(`${base}/api/jobs/${second}`)).json();
  const links = await page.$$eval('#downloads a', (as) => as.map((a) => [a.textContent, a.href, a.hasAttribute('download')]));
  assert.deepEqual(links.map(([name]) => name).sort(), [...job.outputs].sort());
  for (const [, href, download] of links) {
    assert.ok(download);
    assert.equal((await fetch(href, { method: 'HEAD' })).status, 200, href);
  }
  assert.equal(await page.$eval('#video-box', (v) => v.hidden), true, 'no video asked, none shown');

  // Chinese: the UI strings change, the story's sentences do not.
  const english = await page.$$eval('[data-i18n]', (els) => els.map((e) => e.textContent));
  await page.click('#lang-zh');
  assert.equal(await page.$eval('#start', (b) => b.textContent), '开始');
  assert.equal(await page.$eval('#recompose', (b) => b.textContent), '重新作曲');
  assert.equal(await page.$eval('html', (h) => h.lang), 'zh-CN');
  assert.equal(await page.$eval('#lang-zh', (b) => b.getAttribute('aria-pressed')), 'true');
  const chinese = await page.$$eval('[data-i18n]', (els) => els.map((e) => e.textContent));
  const changed = chinese.filter((text, i) => text !== english[i]).length;
  assert.ok(changed >= chinese.length * 0.9, `${changed} of ${chinese.length} strings changed`);
  assert.match(await page.$eval(handle, (h) => h.getAttribute('aria-label')), /效价/);
  assert.match(await page.$eval('#live-pad', (p) => p.getAttribute('aria-valuetext')), /^效价 -?[\d.]+，唤醒度 -?[\d.]+$/);
  assert.match(await page.$eval('#live-status', (p) => p.textContent), /^已结束/);

  // A phone: nothing wider than the screen.
  await page.setViewport({ width: 375, height: 800 });
  await new Promise((r) => setTimeout(r, 200));
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
    widest: [...document.querySelectorAll('body *')]
      .filter((e) => e.getClientRects().length)
      .map((e) => [e.getBoundingClientRect().right, e.id || e.className.baseVal || e.className || e.tagName])
      .sort((a, b) => b[0] - a[0])[0],
  }));
  assert.ok(widths.scroll <= 375 && widths.client <= 375, `overflows at 375 px: ${JSON.stringify(widths)}`);
  assert.ok(widths.widest[0] <= 375.5, `widest element: ${JSON.stringify(widths.widest)}`);
  // The chart is drawn again for the narrow screen, its handles still one per section (of the
  // re-composed sheet, one more than the first).
  await page.waitForFunction(() => document.querySelector('#chart svg').getAttribute('viewBox') === '0 0 420 300');
  assert.equal(await page.$$eval('#chart .handle-valence', (h) => h.length), sections + 1);
  if (screenshots) await page.screenshot({ path: join(screenshots, 'studio-phone-zh.png'), fullPage: true });

  // A Chinese story, typed in as CJK text, is read as Chinese.
  await page.$eval('#story', (area) => { area.value = ''; area.focus(); });
  const zhStory = '小女孩在井底找到了一盏灯。\n\n***\n\n四周又冷又黑，她很害怕。\n\n***\n\n后来灯光亮了，温暖而金黄，她开心地笑了。';
  await page.keyboard.sendCharacter(zhStory);
  await page.$eval('#video', (box) => { if (!box.checked) box.click(); });  // this one with its video
  // ... and sung: the guide voice is offered once a song is asked for.
  assert.equal(await page.$eval('#sing', (box) => box.disabled), true, 'no voice without a song');
  await page.click('#song');
  assert.equal(await page.$eval('#sing', (box) => box.disabled), false);
  await page.click('#sing');
  await page.click('#start');
  const third = await waitForResult(page, second);
  // The video is shown and the browser decodes it: its length is the music's.
  assert.equal(await page.$eval('#video-box', (v) => v.hidden), false);
  await page.waitForFunction(() => document.getElementById('video-player').readyState >= 1, { timeout: 20000 });
  const video = await page.$eval('#video-player', (v) => ({ duration: v.duration, width: v.videoWidth }));
  assert.ok(video.width > 0 && Math.abs(video.duration - 10) < 2.5, JSON.stringify(video));
  assert.ok(await page.$$eval('#downloads a', (as) => as.some((a) => a.textContent === 'video.mp4')));
  const zhReport = JSON.parse(await bytes(`${base}/api/jobs/${third}/files/report.json`));
  assert.equal(zhReport.language, 'zh');
  // The song's files are offered, and its guide voice was read back on its notes.
  const offered = await page.$$eval('#downloads a', (as) => as.map((a) => a.textContent));
  for (const name of ['lyrics.lrc', 'lyrics.ass', 'vocal.wav'])
    assert.ok(offered.includes(name), `${name} offered: ${JSON.stringify(offered)}`);
  assert.ok(zhReport.song.sung > 0 && zhReport.song.sung_vocal.pitched > 0, JSON.stringify(zhReport.song));
  const zhSentences = await page.$$eval('#sentences .sentence-text', (items) => items.map((i) => i.textContent));
  assert.ok(zhSentences.includes('四周又冷又黑，她很害怕。'), JSON.stringify(zhSentences));
  step(`Chinese job ${third} done`);

  await checkToken();
  assert.deepEqual(problems, [], 'no script errors or CSP violations in the page');
  // (data: URLs are Chromium's own media-control icons: nothing leaves the machine.)
  const elsewhere = requests.filter((r) => !r.url.startsWith(base + '/') && !r.url.startsWith('data:'));
  assert.deepEqual(elsewhere, [], 'the page asked nothing of anyone but this server');
  assert.ok(requests.some((r) => r.url.startsWith(base + '/api/live/')));
}

const watchdog = setTimeout(() => { console.error('studio test: over 180 s, giving up'); process.exit(2); }, 180000);
try {
  await main();
  step('all studio checks passed');
  process.exitCode = 0;
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  if (browser) await browser.close().catch(() => {});
  for (const server of servers) server.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
