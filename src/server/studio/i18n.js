// The studio's words in English and Chinese. Elements name their string with data-i18n (text),
// data-i18n-label (aria-label) or data-i18n-placeholder; code asks t(key, values).

const strings = {
  en: {
    title: 'tonepoem studio',
    tagline: 'A story in, its music out: an emotion-matched score, audio and video.',
    language: 'Interface language',
    storyHeading: 'Your story',
    storyLabel: 'Paste a story here, or drop a text file on it (English or Chinese)',
    storyHint: 'Separate scenes with a line of *** or a chapter heading: each scene becomes a section of the music.',
    style: 'Video style',
    length: 'Length',
    lengthAuto: 'Reading speed',
    lengthShort: 'Short (10 s)',
    lengthMedium: 'Medium (30 s)',
    lengthLong: 'Long (90 s)',
    storyLanguage: 'Story language',
    langAuto: 'Detect',
    langEn: 'English',
    langZh: 'Chinese',
    seed: 'Seed',
    video: 'Make a video',
    refine: 'Refine each section (slower)',
    song: 'A song: lyrics from the story, karaoke',
    sing: 'With a sung guide voice',
    start: 'Start',
    progressHeading: 'Progress',
    queued: 'Job {id} is waiting for a worker…',
    running: 'Job {id} is running: {stage}',
    done: 'Job {id} is done.',
    failed: 'Job {id} failed: {error}',
    cancelled: 'Job {id} was cancelled.',
    arcHeading: 'The arc',
    arcHelp:
      'Time runs left to right; up is positive. Dots: each sentence’s valence (round) and arousal (square). Solid lines: the plan per section. Dashed: what the judge hears in the music. Drag a handle, or focus it and use the arrow keys (Page Up/Down for big steps).',
    legendSentenceValence: 'sentence valence',
    legendSentenceArousal: 'sentence arousal',
    legendPlanValence: 'planned valence',
    legendPlanArousal: 'planned arousal',
    legendJudged: 'judged music',
    chartLabel: 'Emotion arc of the story and its music',
    valence: 'Valence',
    arousal: 'Arousal',
    tension: 'Tension',
    ends: 'Ends at (s)',
    sectionsHeading: 'Sections',
    handleValence: '{name}: valence',
    handleArousal: '{name}: arousal',
    boundary: 'Boundary between {a} and {b} (seconds)',
    recompose: 'Re-compose',
    recomposeHelp: 'Composes the edited cue sheet with the same seed as a new job.',
    recomposedFrom: 'Re-composed from job {id}.',
    listenHeading: 'Listen',
    markersLabel: 'Jump to a section',
    caption: 'Caption',
    videoHeading: 'Video',
    downloadsHeading: 'Downloads',
    sentencesHeading: 'Sentences of the story',
    notRunning: 'The server did not answer: {error}',
    problems: 'The server refused the request:',
    emptyStory: 'Paste a story first.',
    dropFailed: 'That file could not be read as text.',
    stage_read: 'Read',
    stage_analyze: 'Analyse',
    stage_plan: 'Plan',
    stage_compose: 'Compose',
    'stage_compose+refine': 'Compose and refine',
    stage_synthesize: 'Synthesise',
    stage_master: 'Master',
    'stage_read cues': 'Read the cue sheet',
    stage_write: 'Write {what}',
    liveHeading: 'Live',
    liveHelp: 'Music composed as it plays: steer its emotion while you listen.',
    liveStyle: 'Music style',
    liveAt: 'Changes land on',
    atBeat: 'the next beat',
    atBar: 'the next bar',
    atPhrase: 'the next phrase',
    liveStart: 'Start live music',
    liveStop: 'Stop (end on a cadence)',
    padLabel: 'Emotion: valence left to right, arousal bottom to top',
    padValue: 'valence {valence}, arousal {arousal}',
    padExcited: 'excited',
    padCalm: 'calm',
    padSad: 'sad',
    padHappy: 'happy',
    padHelp: 'Click or drag on the square, or focus it and use the arrow keys (Home: neutral).',
    hitsHeading: 'Hits',
    hitAccent: 'Accent',
    hitDanger: 'Danger',
    hitSilence: 'Silence',
    hitHold: 'Hold',
    hitsHelp: 'A hit lands on the next beat.',
    livePlaying: 'Playing: {seconds} s of music · emotion changes: {changes} · hits: {hits}',
    liveFinished: 'Finished: {seconds} s of music · emotion changes: {changes} · hits: {hits}',
  },
  zh: {
    title: 'tonepoem 工作室',
    tagline: '输入故事，得到与情感相配的配乐、音频和视频。',
    language: '界面语言',
    storyHeading: '你的故事',
    storyLabel: '在此粘贴故事，或把文本文件拖到这里（中文或英文）',
    storyHint: '用一行 *** 或章节标题分隔场景：每个场景成为音乐的一个段落。',
    style: '视频风格',
    length: '时长',
    lengthAuto: '按朗读速度',
    lengthShort: '短（10 秒）',
    lengthMedium: '中（30 秒）',
    lengthLong: '长（90 秒）',
    storyLanguage: '故事语言',
    langAuto: '自动识别',
    langEn: '英文',
    langZh: '中文',
    seed: '随机种子',
    video: '生成视频',
    refine: '逐段精修（较慢）',
    song: '歌曲：从故事写歌词，卡拉OK字幕',
    sing: '附带演唱引导人声',
    start: '开始',
    progressHeading: '进度',
    queued: '任务 {id} 正在排队…',
    running: '任务 {id} 正在运行：{stage}',
    done: '任务 {id} 已完成。',
    failed: '任务 {id} 失败：{error}',
    cancelled: '任务 {id} 已取消。',
    arcHeading: '情感曲线',
    arcHelp:
      '时间从左到右，越高越积极。圆点：每句的效价；方块：每句的唤醒度。实线：每段的计划。虚线：评判器在音乐中听到的情感。拖动手柄，或聚焦后用方向键调整（Page Up/Down 大步调整）。',
    legendSentenceValence: '句子效价',
    legendSentenceArousal: '句子唤醒度',
    legendPlanValence: '计划效价',
    legendPlanArousal: '计划唤醒度',
    legendJudged: '音乐评判',
    chartLabel: '故事与配乐的情感曲线',
    valence: '效价',
    arousal: '唤醒度',
    tension: '紧张度',
    ends: '结束于（秒）',
    sectionsHeading: '段落',
    handleValence: '{name}：效价',
    handleArousal: '{name}：唤醒度',
    boundary: '{a} 与 {b} 的分界（秒）',
    recompose: '重新作曲',
    recomposeHelp: '用相同的随机种子，把修改后的分段提示表作为新任务重新作曲。',
    recomposedFrom: '由任务 {id} 重新作曲。',
    listenHeading: '试听',
    markersLabel: '跳到段落',
    caption: '字幕',
    videoHeading: '视频',
    downloadsHeading: '下载',
    sentencesHeading: '故事的句子',
    notRunning: '服务器没有响应：{error}',
    problems: '服务器拒绝了请求：',
    emptyStory: '请先粘贴故事。',
    dropFailed: '无法把该文件读成文本。',
    stage_read: '读取',
    stage_analyze: '分析',
    stage_plan: '规划',
    stage_compose: '作曲',
    'stage_compose+refine': '作曲并精修',
    stage_synthesize: '合成',
    stage_master: '母带处理',
    'stage_read cues': '读取分段提示表',
    stage_write: '写出 {what}',
    liveHeading: '实时',
    liveHelp: '边演奏边作曲：一边听，一边引导音乐的情感。',
    liveStyle: '音乐风格',
    liveAt: '变化落在',
    atBeat: '下一拍',
    atBar: '下一小节',
    atPhrase: '下一乐句',
    liveStart: '开始实时音乐',
    liveStop: '停止（以终止式结束）',
    padLabel: '情感：从左到右为效价，从下到上为唤醒度',
    padValue: '效价 {valence}，唤醒度 {arousal}',
    padExcited: '兴奋',
    padCalm: '平静',
    padSad: '悲伤',
    padHappy: '快乐',
    padHelp: '在方块上点击或拖动，或聚焦后用方向键调整（Home 键：中性）。',
    hitsHeading: '重音事件',
    hitAccent: '强调',
    hitDanger: '危险',
    hitSilence: '静默',
    hitHold: '延留',
    hitsHelp: '事件落在下一拍。',
    livePlaying: '播放中：已生成 {seconds} 秒音乐 · 情感变化：{changes} · 事件：{hits}',
    liveFinished: '已结束：共 {seconds} 秒音乐 · 情感变化：{changes} · 事件：{hits}',
  },
};

let current = 'en';

export function languages() {
  return Object.keys(strings);
}

export function language() {
  return current;
}

export function setLanguage(lang) {
  if (strings[lang]) current = lang;
}

// The string `key` in the current language with {name} replaced from `values` (English, then the
// key itself, when missing).
export function t(key, values = {}) {
  const text = strings[current][key] ?? strings.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// A stage's name as the server gives it ("write midi"), in words.
export function stageName(stage) {
  const key = 'stage_' + stage;
  if (strings[current][key] || strings.en[key]) return t(key);
  if (stage.startsWith('write ')) return t('stage_write', { what: stage.slice(6) });
  return stage;
}

// Sets every marked element of `root` in the current language.
export function translate(root) {
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]'))
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
}
