// Who the story is about (text/characters.h), through analyze(): the characters the leitmotifs
// will follow.
#include "text/characters.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "text/analyze.h"
#include "text/document.h"

namespace tonepoem {
namespace {

std::shared_ptr<const Lexicons> lexicons() {
  static const std::shared_ptr<const Lexicons> l = load_lexicons({});
  return l;
}

std::vector<Character> characters_of(const std::string& story, const std::string& file) {
  return analyze(parse_text(story, file, {}), {lexicons()}).characters;
}

const Character* find(const std::vector<Character>& cs, const std::string& name) {
  const auto it =
      std::find_if(cs.begin(), cs.end(), [&](const Character& c) { return c.name == name; });
  return it == cs.end() ? nullptr : &*it;
}

std::string names(const std::vector<Character>& cs) {
  std::string out;
  for (const Character& c : cs) out += c.name + " (" + std::to_string(c.mentions) + "); ";
  return out;
}

TEST(Characters, FairyTaleRolesAreFoundAndTitlesHolidaysAndGodAreNot) {
  const std::string story =
      "It was bitterly cold on Christmas Eve, and the snow fell on the Imperial city. A little "
      "girl walked through the streets with bare feet. The little girl had sold no matches all "
      "day. Through a window she saw a Christmas Tree with a thousand candles. 'God bless the "
      "house,' she whispered. Only God knew where she would sleep. The little girl struck a "
      "match, and in its light she saw her grandmother. 'Grandmother,' cried the little girl, "
      "'take me with you!' Her grandmother smiled, and the grandmother had never been so tall. "
      "The guards of His Imperial Majesty marched past and saw nothing. People said that His "
      "Majesty would ride out on Christmas Day. In the morning they found the little girl in the "
      "corner. Nobody knew what she had seen with her grandmother on Christmas night.";
  const std::vector<Character> cs = characters_of(story, "match.txt");
  const Character* girl = find(cs, "the little girl");
  ASSERT_NE(girl, nullptr) << names(cs);
  EXPECT_EQ(girl->mentions, 4u);  // "a little girl" is not yet someone met
  const Character* grandmother = find(cs, "the grandmother");
  ASSERT_NE(grandmother, nullptr) << names(cs);
  EXPECT_EQ(grandmother->mentions, 4u);
  EXPECT_EQ(cs.front().name, "the little girl");  // the leitmotif goes to the heroine
  for (const Character& c : cs) {
    for (const char* wrong : {"Majesty", "Imperial", "Christmas", "God", "Tree", "Eve", "Day",
                              "Grandmother", "Imperial Majesty", "Christmas Tree"})
      EXPECT_NE(c.name, wrong) << names(cs);
  }
}

TEST(Characters, NamesKeepTheirFormAndMergeTheirAliases) {
  const std::string story =
      "Hansel and Gretel lived by a great forest with their father. Little Red-Cap lived in the "
      "next village. One day Gretel said to Hansel that they should visit Little Red-Cap. So "
      "Hansel took his sister's hand, and Gretel followed him. They met Red-Cap at the well. "
      "'Good morning, Red-Cap,' said Gretel. The wolf watched them. The wolf crept closer, but "
      "King Thrushbeard rode by, and the wolf ran. Thrushbeard laughed. Later they rode with "
      "King Thrushbeard to London. In London the children saw wonders, and from London they "
      "came home.";
  const std::vector<Character> cs = characters_of(story, "names.txt");
  const Character* red_cap = find(cs, "Red-Cap");
  ASSERT_NE(red_cap, nullptr) << names(cs);
  EXPECT_EQ(red_cap->mentions, 4u);  // "Little Red-Cap" and "Red-Cap" are one
  ASSERT_NE(find(cs, "Hansel"), nullptr) << names(cs);
  ASSERT_NE(find(cs, "Gretel"), nullptr) << names(cs);
  EXPECT_EQ(find(cs, "Gretel")->mentions, 4u);
  const Character* thrushbeard = find(cs, "Thrushbeard");  // the title is stripped
  ASSERT_NE(thrushbeard, nullptr) << names(cs);
  EXPECT_EQ(thrushbeard->mentions, 3u);
  ASSERT_NE(find(cs, "the wolf"), nullptr) << names(cs);
  for (const char* wrong :
       {"Little", "Little Red-Cap", "King", "King Thrushbeard", "London", "Good", "One"})
    EXPECT_EQ(find(cs, wrong), nullptr) << wrong << " in " << names(cs);
}

TEST(Characters, RolesNeedThreeMentionsAndKeepPossessiveRoles) {
  const std::string story =
      "The king's son rode into the wood. The king's son saw a tower. The king was old. The "
      "king's son called up to the tower, and the king's son heard a song. The witch came. The "
      "witch's cat hissed.";
  const std::vector<Character> cs = characters_of(story, "roles.txt");
  const Character* son = find(cs, "the king's son");
  ASSERT_NE(son, nullptr) << names(cs);
  EXPECT_EQ(son->mentions, 4u);
  EXPECT_EQ(find(cs, "the king"), nullptr) << names(cs);   // once
  EXPECT_EQ(find(cs, "the witch"), nullptr) << names(cs);  // twice: not yet a character
}

TEST(Characters, ChineseNamesNicknamesAndRoles) {
  const std::string story =
      "第一章\n"
      "老太太坐在门口。王小明走过来，向老太太问好。阿Q在一旁看着。\n"
      "第二章\n"
      "王小明很高兴，阿Q却不说话。老太太笑了，王子和公主都来了。\n"
      "第三章\n"
      "晚上，老太太给王小明讲故事。祥林嫂也来听，祥林嫂哭了。";
  const std::vector<Character> cs = characters_of(story, "zh.txt");
  const Character* old_woman = find(cs, "老太太");
  ASSERT_NE(old_woman, nullptr) << names(cs);
  EXPECT_EQ(old_woman->mentions, 4u);
  EXPECT_EQ(old_woman->scenes, (std::vector<std::size_t>{0, 1, 2}));
  const Character* name = find(cs, "王小明");
  ASSERT_NE(name, nullptr) << names(cs);
  EXPECT_EQ(name->mentions, 3u);
  ASSERT_NE(find(cs, "阿Q"), nullptr) << names(cs);
  ASSERT_NE(find(cs, "祥林嫂"), nullptr) << names(cs);  // a name by its kinship ending
  EXPECT_EQ(find(cs, "王子"), nullptr) << names(cs);    // once, and a role, not a name
  EXPECT_EQ(find(cs, "高兴"), nullptr) << names(cs);
}

TEST(Characters, NamelessStoriesHaveNone) {
  EXPECT_TRUE(characters_of("The rain fell. It fell all night. Then it stopped.", "r.txt").empty());
}

}  // namespace
}  // namespace tonepoem
