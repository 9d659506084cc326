// tonepoem's own Chinese additions to the registry word lists, written for this project:
// common story words the lists miss or misplace, and very frequent words whose DUTIR category
// is a misreading in narrative text (起来 as joy, 发展 as tenderness).
#include <string>

#include "text/lexicons.h"

namespace tonepoem::text {
namespace {

struct ZhEntry {
  std::string_view words;  // space-separated
  int category;            // Category index, or -1
  float valence, arousal, tension;
};

constexpr int J = 0, T = 1, S = 2, F = 3, A = 4, U = 5, D = 6;

const ZhEntry kZhWords[] = {
    {"平静 安静 宁静 静静 轻轻 慢慢 温暖 温柔 安心 放心 舒服 安详 悠闲 微笑 拥抱 依偎 月光 摇篮", T,
     0.5f, -0.5f, 0.0f},
    {"睡 睡着 入睡 休息 静谧", T, 0.3f, -0.7f, 0.0f},
    {"开心 高兴 快乐 欢笑 笑 大笑 欢呼 庆祝 唱歌 跳舞 兴奋 幸福 喜悦 欢乐 得意", J, 0.7f, 0.5f,
     0.0f},
    {"哭 哭泣 流泪 眼泪 伤心 难过 悲伤 孤独 寂寞 想念 失望 绝望 心碎 叹气 凄凉", S, -0.6f, -0.3f,
     0.05f},
    {"害怕 恐惧 可怕 恐怖 惊恐 吓 吓坏 颤抖 发抖 尖叫 逃 逃跑 危险 怪物 鬼 魔鬼 追赶 慌张 紧张 "
     "不安 担心",
     F, -0.6f, 0.7f, 0.8f},
    {"狼 黑暗 黑影 血 鲜血 死 死亡 杀 刀 枪 陷阱 暴风雨 雷声 火焰 大火", F, -0.4f, 0.5f, 0.6f},
    {"生气 愤怒 发火 怒吼 大吼 咆哮 恨 仇恨 打架 报仇 暴怒 气愤", A, -0.6f, 0.7f, 0.45f},
    {"怕 不敢 吓人 惊险 恐慌 救命 担忧 焦虑 忐忑 心慌 毛骨悚然 胆战心惊 提心吊胆 可怕的 惊吓 噩梦",
     F, -0.5f, 0.6f, 0.7f},
    {"操 我操 靠 妈的 他妈的 傻逼 混蛋 滚 气死 烦 真烦 烦死 可恶 该死 混账 火大 抓狂", A, -0.6f,
     0.6f, 0.35f},
    {"郁闷 伤感 心酸 难受 委屈 遗憾 悲剧 泪 泪流满面", S, -0.5f, -0.2f, 0.05f},
    {"哈哈 哈哈哈 嘻嘻 呵呵 耶 好开心 太好了 棒 赞", J, 0.6f, 0.5f, 0.0f},
    {"天哪 天啊 我的天 不敢相信 没想到 想不到 惊喜", U, 0.1f, 0.6f, 0.1f},
    {"突然 忽然 竟然 居然 惊讶 吃惊 震惊 意外", U, 0.0f, 0.6f, 0.2f},
    {"恶心 肮脏 腐烂 臭 讨厌", D, -0.6f, 0.2f, 0.1f},
};

// Frequent words that DUTIR files under an emotion but that carry none in most sentences.
constexpr std::string_view kNotEmotion =
    "发展 不是 起来 重要 通过 作为 建设 一定 教育 必须 增长 自然 改革 革命 不过 获得 人民政府 "
    "原来 权力 先生 解决 先进 负责 学习 精神 重点 最高 实际 其实 丰富 批准 专家 人物 坚持 标准 "
    "平均 消息 如今 根本 具体 不可 真正 著名 迅速 全面 人才 大道 民主 师父 平民 完善 指导 实在 "
    "有效 手段 开展 气候 确定 普通 创造 促进 大型 保障 高速 肯定 现代化 重视 一级";

template <typename F>
void each_word(std::string_view words, F&& f) {
  while (!words.empty()) {
    const std::size_t space = words.find(' ');
    const std::string_view w = words.substr(0, space);
    words = space == std::string_view::npos ? std::string_view{} : words.substr(space + 1);
    if (!w.empty()) f(w);
  }
}

}  // namespace

void add_chinese_emotion_words(WordMap& map) {
  each_word(kNotEmotion, [&](std::string_view w) {
    auto it = map.find(w);
    if (it != map.end()) {
      it->second.categories = 0;
      it->second.arousal = kNone;
      if (it->second.has_valence()) it->second.valence *= 0.3f;
    }
  });
  for (const ZhEntry& e : kZhWords) {
    each_word(e.words, [&](std::string_view w) {
      WordInfo& info = map[std::string(w)];
      if (!info.has_valence() || (info.valence > 0) != (e.valence > 0)) info.valence = e.valence;
      info.arousal = e.arousal;
      info.tension = e.tension;
      info.categories = static_cast<std::uint8_t>(1u << e.category);
    });
  }
}

void add_builtin_chinese_modifiers(ModifierMap& map) {
  struct Entry {
    std::string_view words;
    ModifierKind kind;
    float factor;
  };
  static constexpr Entry kModifiers[] = {
      {"不 没 没有 别 未 无 非 莫 勿 毫无 并非 从未 不是 不会 不要 不用 从不 绝不",
       ModifierKind::negator, -0.74f},
      {"极 极其 极度 非常 十分 万分 无比 特别 太 超 超级 最 格外 分外 尤其", ModifierKind::booster,
       2.0f},
      {"很 挺 真 好 相当 颇 更 更加 越来越 那么 这么 多么 如此", ModifierKind::booster, 1.5f},
      {"有点 有点儿 有些 稍 稍微 略 略微 比较 较 还算 一点", ModifierKind::dampener, 0.6f},
      {"但是 可是 但 然而 只是", ModifierKind::contrast, 1.5f},
      {"不过 却", ModifierKind::contrast, 1.3f},
  };
  for (const Entry& e : kModifiers) {
    each_word(e.words, [&](std::string_view w) {
      map.insert_or_assign(std::string(w), Modifier{e.kind, e.factor});
    });
  }
}

}  // namespace tonepoem::text

namespace tonepoem::text {
namespace {

// Chinese narrative cues, the same kinds and scales as the English table (en_words.cpp).
// One-character cues (死, 哭, 饿, 冷, 救) are also found inside longer jieba tokens (冻死, 哭着);
// two tokens are also read together (被 + 打).
using K = CueKind;
const CueRow kZhCueRows[] = {
    // death
    {"死去 去世 死亡 尸体 坟 坟墓 埋葬 丧命 断气 咽气 冻死 饿死 病死 淹死 烧死 身亡 丧生", K::fate,
     -0.9f, 1.2f, -0.2f, 0.5f, 0.3f, S},
    // killing and devouring
    {"杀 杀死 杀害 打死 咬死 吃掉 吞掉 吞下 吞 谋杀 砍死 害死 被杀 被吃", K::harm, -0.85f, 1.2f,
     0.75f, 1.0f, 0.7f, F},
    // injury and cruelty
    {"被打 挨打 打伤 受伤 流血 鞭打 殴打 毒打 虐待 折磨 欺负 欺侮 残忍 狠心 打骂 挨骂 被骂 责打 "
     "切下 砍下 割下 砍断",
     K::harm, -0.75f, 1.0f, 0.55f, 0.7f, 0.5f, A},
    // mockery: laughter at someone is not joy
    {"嘲笑 讥笑 取笑 耻笑 嘲弄 讥讽 嘲讽 奚落 哄笑 笑她 笑他 笑他们 笑话她 笑话他 冷笑", K::mocking,
     -0.7f, 1.2f, 0.3f, 0.4f, 0.2f, A},
    // loss and ruin
    {"失去 丢失 失踪 消失 破产 倒霉 灾难 不幸", K::event, -0.6f, 0.8f, 0.0f, 0.0f, 0.15f, S},
    // poverty, hunger and cold
    {"饿 饥饿 挨饿 冷 寒冷 冻 冻僵 严寒 贫穷 穷苦 讨饭 乞丐 乞讨 破衣 光脚", K::event, -0.55f, 0.7f,
     -0.3f, 0.4f, 0.1f, S},
    // capture
    {"被抓 抓住 捉住 抓走 关起来 囚禁 监狱 坐牢 牢房 俘虏 绑架 被关 关进 锁上 被锁 定住 动弹不得",
     K::harm, -0.7f, 1.0f, 0.45f, 0.6f, 0.5f, F},
    // abandonment and grief
    {"抛弃 遗弃 丢下 孤儿 孤零零 无家可归 流浪 哭 哭泣 痛哭 大哭 流泪 眼泪 泪 悲伤 伤心 哭着 绝望",
     K::event, -0.7f, 0.9f, -0.35f, 0.6f, 0.05f, S},
    // a curse, a spell cast on someone (咒他们变成乌鸦, 被变成一只鸟)
    {"咒 诅咒 魔咒 咒语 被变成", K::harm, -0.7f, 1.0f, 0.5f, 0.6f, 0.5f, -1},
    // danger, pursuit, conflict, fight, flight
    {"追 追赶 逃 逃跑 逃走 逃命 危险 打架 搏斗 战斗 攻击 扑向 厮打 拼命", K::tempo, -0.45f, 0.6f,
     0.85f, 1.2f, 0.6f, F},
    {"害怕 恐惧 吓坏 惊恐 尖叫 发抖 颤抖", K::event, -0.55f, 0.6f, 0.65f, 0.8f, 0.6f, F},
    {"跑 奔跑 冲 飞奔", K::tempo, 0.0f, 0.0f, 0.7f, 0.7f, 0.1f, -1},
    // stillness
    {"睡 睡着 睡觉 入睡 沉睡 安静 寂静 沉默 静静 一动不动 静悄悄", K::tempo, 0.0f, 0.0f, -0.6f,
     0.8f, 0.0f, -1},
    // tears of joy
    {"喜极而泣 高兴得哭 激动得哭", K::event, 0.85f, 2.0f, 0.3f, 0.3f, 0.0f, J},
    // rescue, reunion, triumph, marriage, reward
    {"救 救出 得救 获救 解救 救活 救了 逃脱 脱险 释放", K::event, 0.75f, 1.3f, 0.3f, 0.3f, 0.0f, T},
    {"团圆 重逢 团聚 相聚 拥抱 活着出来 活过来 活了过来", K::event, 0.8f, 1.1f, 0.1f, 0.3f, 0.0f,
     T},
    {"胜利 战胜 打败 凯旋", K::event, 0.8f, 1.1f, 0.6f, 0.6f, 0.0f, J},
    {"结婚 婚礼 成亲 出嫁 娶 宴会 庆祝", K::event, 0.8f, 1.1f, 0.4f, 0.4f, 0.0f, J},
    {"奖赏 奖励 财宝 发财 富有", K::event, 0.65f, 0.8f, 0.2f, 0.2f, 0.0f, J},
    // weather and light
    {"黑暗 黑夜 夜里 深夜 阴暗 阴森", K::mood, -0.4f, 0.35f, 0.1f, 0.2f, 0.2f, F},
    {"暴风雨 暴风 雷 雷声 闪电 狂风 风雪 暴雪", K::mood, -0.45f, 0.4f, 0.6f, 0.5f, 0.3f, F},
    {"大雪 寒风 冰冷 冰雪", K::mood, -0.35f, 0.3f, -0.2f, 0.2f, 0.0f, S},
    {"阳光 春天 明亮 花朵 鲜花 晴天", K::mood, 0.4f, 0.3f, -0.1f, 0.15f, 0.0f, J},
    // villains
    {"狼 大灰狼 恶狼 巫婆 女巫 妖怪 魔鬼 恶魔 强盗 坏人 敌人 怪物 老虎 巨人", K::villain, -0.3f,
     0.3f, 0.3f, 0.3f, 0.2f, F},
    // hypotheticals and conditions
    {"如果 要是 假如 除非 万一 也许 可能 恐怕 或许 想 想要 打算 企图 要不是", K::hypothetical, 0.0f,
     0.0f, 0.0f, 0.0f, 0.0f, -1},
    // idioms that hold an event word but tell none: "laughing to death", "dead tired"
    {"笑死 累死 气死 烦死 热死 困死 忙死 吓死 死党 冷静 冷笑话 救命 追求 无穷 睡衣", K::none, 0.0f,
     0.0f, 0.0f, 0.0f, 0.0f, -1},
};
// 死 after an emotion word intensifies it (高兴死了 "happy to death").
const CueRow kZhDegreeRows[] = {
    {"死 死了", K::intensifier_after_emotion, -0.9f, 1.2f, -0.2f, 0.5f, 0.3f, S},
};

}  // namespace

const CueMap& chinese_narrative_cues() {
  static const CueMap map = [] {
    CueMap m = build_cue_map(kZhCueRows);
    for (auto& [w, cue] : build_cue_map(kZhDegreeRows)) m.insert_or_assign(w, cue);
    return m;
  }();
  return map;
}

}  // namespace tonepoem::text
