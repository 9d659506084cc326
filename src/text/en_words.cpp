// tonepoem's own English tables: degree words, negations, emotion words and emoji.
// Written for this project (not copied from any list). Arousal values follow the circumplex
// placement of each word (Russell 1980): calm words below 0, alarm and excitement above.
#include <string>

#include "text/lexicons.h"

namespace tonepoem::text {

namespace {
constexpr float kUp = 0.293f;  // VADER's published booster increment (on its [-4, 4] scale)
constexpr float kDown = -0.293f;
}  // namespace

const std::vector<EnglishBooster> kEnglishBoosters = {
    {"absolutely", kUp},   {"amazingly", kUp},     {"awfully", kUp},    {"completely", kUp},
    {"considerably", kUp}, {"deeply", kUp},        {"enormously", kUp}, {"entirely", kUp},
    {"especially", kUp},   {"exceptionally", kUp}, {"extremely", kUp},  {"fully", kUp},
    {"greatly", kUp},      {"highly", kUp},        {"hugely", kUp},     {"incredibly", kUp},
    {"intensely", kUp},    {"most", kUp},          {"more", kUp},       {"particularly", kUp},
    {"purely", kUp},       {"quite", kUp},         {"really", kUp},     {"remarkably", kUp},
    {"so", kUp},           {"terribly", kUp},      {"thoroughly", kUp}, {"too", kUp},
    {"totally", kUp},      {"tremendously", kUp},  {"truly", kUp},      {"utterly", kUp},
    {"very", kUp},         {"exceedingly", kUp},   {"immensely", kUp},  {"perfectly", kUp},
    {"such", kUp},         {"almost", kDown},      {"barely", kDown},   {"hardly", kDown},
    {"kinda", kDown},      {"less", kDown},        {"little", kDown},   {"marginally", kDown},
    {"mildly", kDown},     {"partly", kDown},      {"rather", kDown},   {"scarcely", kDown},
    {"slightly", kDown},   {"somewhat", kDown},    {"sorta", kDown},    {"fairly", kDown},
    {"a bit", kDown},
};

const std::vector<std::string_view> kEnglishNegations = {
    "not",       "no",      "never",    "none",   "nobody",   "nothing", "nowhere",  "neither",
    "nor",       "without", "cannot",   "cant",   "can't",    "dont",    "don't",    "doesnt",
    "doesn't",   "didnt",   "didn't",   "isnt",   "isn't",    "arent",   "aren't",   "wasnt",
    "wasn't",    "werent",  "weren't",  "wont",   "won't",    "wouldnt", "wouldn't", "shouldnt",
    "shouldn't", "couldnt", "couldn't", "hasnt",  "hasn't",   "havent",  "haven't",  "hadnt",
    "hadn't",    "mustnt",  "mustn't",  "aint",   "ain't",    "rarely",  "seldom",   "nor",
    "nope",      "neednt",  "needn't",  "shan't", "mightn't", "despite"};

namespace {

struct EmotionWord {
  std::string_view words;  // space-separated forms sharing the entry
  int category;            // Category index, or -1 for arousal-only words
  float arousal;
  float tension;
};

constexpr int J = 0, T = 1, S = 2, F = 3, A = 4, U = 5, D = 6, N = -1;

const EmotionWord kEmotionWords[] = {
    // joy: pleasant and lively
    {"happy happily happiness joy joyful joyfully joyous glad gladly delight delighted delightful "
     "cheerful cheerfully merry merrily laugh laughed laughing laughs laughter smile smiled "
     "smiling smiles celebrate celebrated celebration fun excited exciting excitement thrilled "
     "rejoice rejoiced triumph triumphant victory won win winning hooray yay hurrah bliss "
     "blissful elated jubilant festive feast gleeful grin grinned amused playful proud pride "
     "success successful wonderful marvellous splendid glorious dance danced dancing sang sing "
     "singing song songs wedding treasure lucky",
     J, 0.5f, 0.0f},
    {"hope hoped hopeful bright sunshine sunny pleasant pleased enjoy enjoyed beautiful lovely "
     "fine good nice better best",
     J, 0.2f, 0.0f},
    // tenderness: pleasant and calm
    {"love loved loving lovingly beloved dear darling gentle gently tender tenderly kind "
     "kindly kindness warm warmly warmth embrace embraced hug hugged kiss kissed caress soft "
     "softly sweet sweetly care cared caring comfort comforted cozy cosy safe safely home "
     "friend friends friendship grateful gratitude thank thanked thanks forgive forgave "
     "lullaby cradle relief relieved trust faithful faithfully affection fond",
     T, -0.3f, 0.0f},
    {"calm calmly peace peaceful peacefully serene tranquil quiet quietly restful soothing "
     "content contented gentle",
     T, -0.6f, 0.0f},
    // sadness: unpleasant and low
    {"sad sadly sadness sorrow sorrowful sorrowfully grief grieve grieved grieving mourn "
     "mourned mourning weep weeping wept cry cried crying cries tears tearful lonely "
     "loneliness alone lost loss lose losing gloom gloomy melancholy despair despaired "
     "hopeless heartbroken broken regret regretted sigh sighed funeral grave unhappy "
     "miserable misery depressed sorry pity orphan farewell goodbye empty weary tired "
     "forlorn forsaken abandoned bereft dismal wretched",
     S, -0.4f, 0.05f},
    // fear: unpleasant, aroused, tense
    {"fear feared fearful afraid scared frightened frightening fright terror terrified "
     "terrifying horror horrified horrible panic panicked dread dreadful danger dangerous "
     "threat threatened threatening monster monsters ghost ghosts haunted nightmare scream "
     "screamed screaming shriek shrieked tremble trembled trembling shiver shivered "
     "shuddered flee fled escape escaped hide hid hiding chase chased trap trapped "
     "nervous anxious anxiety worry worried uneasy creep creeping creaked lurk lurking "
     "peril perilous prey fangs claws howl howled growl growled poison poisoned alarm "
     "alarmed desperate helpless",
     F, 0.7f, 0.8f},
    {"dark darkness shadow shadows wolf witch beast dragon blood bloody knife sword gun "
     "weapon dead death die died dying corpse kill killed killing murder murdered "
     "wounded wound hunt hunted storm thunder fire flames smoke",
     F, 0.5f, 0.6f},
    {"suspicious strange footsteps whisper whispered silence silent stillness", F, 0.0f, 0.35f},
    // anger: unpleasant, aroused
    {"angry angrily anger rage raged raging furious fury mad hate hated hatred wrath cruel "
     "cruelty shout shouted shouting yell yelled curse cursed fight fought fighting attack "
     "attacked strike struck hit slap slapped punch punched revenge enemy enemies annoyed "
     "irritated outraged resent resented slam slammed roar roared snarl snarled scold "
     "scolded beat bitter insult insulted wicked evil villain betray betrayed war battle "
     "envy envious jealous spite",
     A, 0.7f, 0.5f},
    // surprise
    {"surprise surprised surprising sudden suddenly astonished astonishing amazed amazing "
     "shock shocked startled gasp gasped unexpected unexpectedly wonder wondered wow marvel "
     "marvelled stunned bewildered",
     U, 0.6f, 0.15f},
    // disgust
    {"disgust disgusted disgusting gross filthy dirty rotten stink stank stench vile nasty "
     "revolting sick ugly foul slime slimy vomit loathe loathed loathsome repulsive greasy "
     "maggots",
     D, 0.2f, 0.1f},
    // more of each, common in news, letters and blogs as well as stories
    {"cheer cheered cheers enjoyment pleasure funny hilarious awesome fantastic terrific glee "
     "ecstatic overjoyed euphoric party festival holiday gift reward prize congratulations "
     "congratulate applause applauded",
     J, 0.6f, 0.0f},
    {"cuddle snuggle cherish cherished adore adored sympathy compassion mercy blessing bless "
     "blessed pray prayer",
     T, -0.3f, 0.0f},
    {"sob sobbed sobbing lament tragedy tragic heartache homesick disappointed disappointment "
     "suffering suffer suffered pain painful ache hurt hurting lonesome isolated defeat "
     "defeated failure failed",
     S, -0.3f, 0.05f},
    {"terrify horrific horrifying scary spooky creepy eerie ominous sinister menacing disaster "
     "catastrophe crisis emergency bomb shooting gunfire victim victims hostage kidnapped risk "
     "hazard wary apprehensive jittery tense",
     F, 0.6f, 0.7f},
    {"annoy annoying frustrated frustration irritate hostile hostility aggression aggressive "
     "violent violence protest protested riot outrage fuming livid seething argue argued quarrel "
     "blame blamed accuse accused",
     A, 0.6f, 0.4f},
    {"shocking astounding astounded unbelievable whoa abrupt abruptly", U, 0.6f, 0.15f},
    {"nauseating nausea sickening yuck contempt despise despised scorn repugnant obscene", D, 0.3f,
     0.1f},
    {"urgent urgently chaos chaotic frenzy bang boom sprint dash dashed energetic energy intense "
     "adrenaline hectic screaming shouting",
     N, 0.6f, 0.1f},
    {"bored boring boredom sleepy yawn yawned relax relaxed relaxing leisurely mellow lull dull "
     "monotonous meditate meditation nap snooze slumber",
     N, -0.6f, 0.0f},
    // arousal only
    {"still slow slowly sleep slept asleep sleeping rest rested resting lazy drowsy hush "
     "dream dreamed dreaming silently idle",
     N, -0.55f, 0.0f},
    {"run ran running rush rushed hurry hurried race raced burst crash crashed explode "
     "exploded explosion lightning gallop galloped wild loud noise fast quick quickly "
     "jump jumped leap leapt pounding racing frantic frantically",
     N, 0.6f, 0.1f},
};

}  // namespace

void add_english_emotion_words(WordMap& map) {
  for (const EmotionWord& e : kEmotionWords) {
    std::string_view words = e.words;
    while (!words.empty()) {
      const std::size_t space = words.find(' ');
      const std::string_view w = words.substr(0, space);
      words = space == std::string_view::npos ? std::string_view{} : words.substr(space + 1);
      if (w.empty()) continue;
      WordInfo& info = map[std::string(w)];
      info.arousal = e.arousal;
      info.tension = e.tension;
      if (e.category >= 0) info.categories |= static_cast<std::uint8_t>(1u << e.category);
    }
  }
}

namespace {
struct EmojiEntry {
  std::string_view text;
  float valence, arousal;
  int category;
};
const EmojiEntry kEmoji[] = {
    {"\U0001F600", 0.7f, 0.5f, J},   {"\U0001F603", 0.7f, 0.5f, J},
    {"\U0001F604", 0.75f, 0.5f, J},  {"\U0001F601", 0.7f, 0.5f, J},
    {"\U0001F606", 0.7f, 0.6f, J},   {"\U0001F602", 0.6f, 0.7f, J},
    {"\U0001F923", 0.6f, 0.7f, J},   {"\U0001F60A", 0.7f, 0.1f, J},
    {"\U0001F642", 0.4f, 0.0f, J},   {"\U0001F973", 0.8f, 0.8f, J},
    {"\U0001F389", 0.7f, 0.7f, J},   {"\U0001F44D", 0.5f, 0.1f, J},
    {"\U0001F60D", 0.8f, 0.5f, T},   {"\U0001F970", 0.8f, 0.3f, T},
    {"\U0001F618", 0.7f, 0.3f, T},   {"\u2764\uFE0F", 0.8f, 0.3f, T},
    {"\u2764", 0.8f, 0.3f, T},       {"\U0001F495", 0.7f, 0.3f, T},
    {"\U0001F917", 0.6f, 0.2f, T},   {"\U0001F60C", 0.5f, -0.5f, T},
    {"\U0001F622", -0.6f, -0.2f, S}, {"\U0001F62D", -0.7f, 0.3f, S},
    {"\U0001F61E", -0.5f, -0.4f, S}, {"\U0001F614", -0.5f, -0.4f, S},
    {"\U0001F494", -0.7f, -0.1f, S}, {"\U0001F625", -0.4f, 0.0f, S},
    {"\U0001F631", -0.7f, 0.9f, F},  {"\U0001F628", -0.6f, 0.7f, F},
    {"\U0001F630", -0.6f, 0.6f, F},  {"\U0001F627", -0.5f, 0.5f, F},
    {"\U0001F47B", -0.2f, 0.4f, F},  {"\U0001F480", -0.5f, 0.3f, F},
    {"\U0001F621", -0.7f, 0.8f, A},  {"\U0001F620", -0.6f, 0.7f, A},
    {"\U0001F92C", -0.8f, 0.9f, A},  {"\U0001F624", -0.4f, 0.6f, A},
    {"\U0001F62E", 0.0f, 0.6f, U},   {"\U0001F632", 0.1f, 0.7f, U},
    {"\U0001F92F", 0.0f, 0.8f, U},   {"\U0001F922", -0.6f, 0.3f, D},
    {"\U0001F92E", -0.7f, 0.4f, D},  {"\U0001F44E", -0.5f, 0.1f, D},
    {"\U0001F634", 0.1f, -0.8f, N},  {"\U0001F610", 0.0f, -0.3f, N},
};
}  // namespace

void add_emoji(WordMap& map) {
  for (const EmojiEntry& e : kEmoji) {
    WordInfo info;
    info.valence = e.valence;
    info.alt_valence = e.valence;  // no second list rates emoji: tonepoem's table stands for both
    info.arousal = e.arousal;
    if (e.category >= 0) info.categories = static_cast<std::uint8_t>(1u << e.category);
    if (e.category == F) info.tension = 0.7f;
    map[std::string(e.text)] = info;
  }
}

}  // namespace tonepoem::text

namespace tonepoem::text {
namespace {

// Narrative cues: what happens, in general story vocabulary (see NarrativeCue in lexicons.h).
// Valence in [-1, 1] and its weight (1 is a plain event), arousal as narrative tempo and
// stakes and its weight. Phrases of two words are written with '_' for the space.
using K = CueKind;

const CueRow kCueRows[] = {
    // death: the gravest event, still (a death is mourned, not fought)
    {"die dies died dying dead death deaths perish perished perishing corpse corpses grave "
     "graves funeral buried coffin lifeless",
     K::fate, -0.9f, 1.2f, -0.2f, 0.5f, 0.3f, S},
    // killing and devouring: death done by someone, with danger
    {"kill kills killed killing slay slays slew slain murder murders murdered murdering drown "
     "drowns drowned devour devours devoured devouring strangle strangled stab stabbed "
     "behead beheaded executed poisoned ate_her ate_him ate_them eaten swallowed_up burned",
     K::harm, -0.85f, 1.2f, 0.75f, 1.0f, 0.7f, F},
    // injury
    {"wound wounded wounds injured injury injuries bleed bleeding bled bloody hurt blinded "
     "lame bruised maimed crippled",
     K::harm, -0.65f, 0.9f, 0.45f, 0.6f, 0.45f, S},
    // cruelty
    {"beat beaten beating beatings whip whipped whipping flog flogged torment tormented "
     "torture tortured cruel cruelly cruelty abuse abused ill-treated ill-used punish punished "
     "slapped kicked",
     K::harm, -0.75f, 1.0f, 0.55f, 0.7f, 0.5f, A},
    // mockery: laughter at someone is not joy
    {"mock mocks mocked mocking mockery jeer jeers jeered jeering ridicule ridiculed scorn "
     "scorned scornfully sneer sneered sneering taunt taunted derision laughed_at laugh_at "
     "laughing_at laughs_at made_fun make_fun making_fun scoffed scoffed_at",
     K::mocking, -0.7f, 1.2f, 0.3f, 0.4f, 0.2f, A},
    // loss and ruin
    {"lost loses losing loss vanished disappeared stolen robbed ruin ruined ruins misfortune "
     "calamity disaster",
     K::event, -0.6f, 0.8f, 0.0f, 0.0f, 0.15f, S},
    // poverty, hunger and cold
    {"poverty poor beggar beggars begging starve starved starving starvation famine hunger "
     "hungry cold freezing froze frozen freeze shivering numb rags barefoot",
     K::event, -0.55f, 0.7f, -0.3f, 0.4f, 0.1f, S},
    // capture
    {"captured capture seized imprisoned prison prisoner dungeon cage caged chained "
     "fetters trapped kidnapped locked_up shut_up carried_off dragged",
     K::harm, -0.7f, 1.0f, 0.45f, 0.6f, 0.5f, F},
    // abandonment and grief (still)
    {"abandoned abandon deserted forsaken alone lonely orphan banished exiled outcast "
     "left_behind wept weep weeps weeping sobbed sobbing tears mourned mourning grief grieved "
     "sorrow lamented lamenting despair",
     K::event, -0.7f, 0.9f, -0.35f, 0.6f, 0.05f, S},
    // danger, pursuit, conflict, fight, flight: high stakes
    {"chase chased chasing pursue pursued pursuing pursuit hunted flee fled fleeing danger "
     "dangerous peril threat threatened attack attacked attacking fight fought fighting battle "
     "struggle struggled seized_him seized_her",
     K::tempo, -0.45f, 0.6f, 0.85f, 1.2f, 0.6f, F},
    {"terrified frightened afraid fear feared horror screamed shrieked trembling trembled",
     K::event, -0.55f, 0.6f, 0.65f, 0.8f, 0.6f, F},
    {"ran running rushed hurried galloped sprang leapt dashed", K::tempo, 0.0f, 0.0f, 0.7f, 0.7f,
     0.1f, -1},
    // stillness: sleep, silence
    {"sleep slept asleep sleeping slumber dozed lay_down lay_still stood_still silence silent "
     "silently hush "
     "quiet quietly",
     K::tempo, 0.0f, 0.0f, -0.6f, 0.8f, 0.0f, -1},
    // rescue, release, escape
    {"save saved saves saving rescue rescued rescues freed released delivered deliverance "
     "escaped safe safely spared free",
     K::event, 0.75f, 1.3f, 0.3f, 0.3f, 0.0f, T},
    // reunion and homecoming
    {"reunited reunion embraced embrace hugged welcomed came_home returned_home arms_round "
     "arms_around",
     K::event, 0.8f, 1.1f, 0.1f, 0.3f, 0.0f, T},
    // triumph
    {"won victory victorious triumph triumphed triumphant conquered overcame", K::event, 0.8f, 1.1f,
     0.6f, 0.6f, 0.0f, J},
    // marriage and celebration
    {"married marry marries marriage wedding wed feast rejoiced rejoicing celebrated "
     "lived_happily reigned_happily happily_ever danced dancing",
     K::event, 0.8f, 1.1f, 0.4f, 0.4f, 0.0f, J},
    // tears and cries of joy: the joy is what happened ("weeping with joy")
    {"with_joy for_joy of_joy with_gladness for_gladness with_happiness with_relief", K::event,
     0.85f, 2.0f, 0.3f, 0.3f, 0.0f, J},
    // reward and fortune
    {"reward rewarded riches fortune prosperous blessed thanked heir crowned luckily fortunately "
     "good_luck",
     K::event, 0.65f, 0.8f, 0.2f, 0.2f, 0.0f, J},
    // recovery: the harm undone
    {"recovered got_well well_again cured healed alive_again came_to_life revived out_alive",
     K::event, 0.75f, 1.1f, 0.2f, 0.3f, 0.0f, T},
    // weather and light as mood
    {"dark darkness gloomy gloom night midnight shadow shadows fog mist gloomily dreary", K::mood,
     -0.4f, 0.35f, 0.1f, 0.2f, 0.2f, F},
    {"storm stormy thunder lightning tempest howling gale blizzard", K::mood, -0.45f, 0.4f, 0.6f,
     0.5f, 0.3f, F},
    {"snow snowing icy frost wintry bleak", K::mood, -0.35f, 0.3f, -0.2f, 0.2f, 0.0f, S},
    {"sunshine sunny sunlight sunbeams dawn spring blossoms blossom flowers meadow bright", K::mood,
     0.4f, 0.3f, -0.1f, 0.15f, 0.0f, J},
    // villains: no cue of their own; a harm done to one is good news
    {"wolf wolves witch witches giant giants dragon ogre troll robber robbers murderer "
     "murderers monster beast enemy enemies thief thieves wizard sorceress villain villains",
     K::villain, -0.3f, 0.3f, 0.3f, 0.3f, 0.2f, F},
    // hypotheticals and conditions: the event after them may not happen
    {"if unless lest might may would could perhaps whether", K::hypothetical, 0.0f, 0.0f, 0.0f,
     0.0f, 0.0f, -1},
};

}  // namespace

const CueMap& english_narrative_cues() {
  static const CueMap map = build_cue_map(kCueRows);
  return map;
}

}  // namespace tonepoem::text
