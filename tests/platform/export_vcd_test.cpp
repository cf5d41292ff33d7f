// VCD export (platform/export_vcd.h) of a tiny trace, text exact, and its
// header checked against the IEEE 1364-2005 section 18.2 grammar.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "export_fixture.h"
#include "platform/export_vcd.h"
#include "platform/trace_reader.h"

namespace pisim {
namespace {

TEST(ExportVcd, TinyTraceExactText) {
    const std::string want = R"($version pisim export $end
$comment tiny.yaml seed 1 irq_mode vtd-pi $end
$timescale 1 ns $end
$scope module pisim $end
$scope module pcpu0 $end
$var reg 2 ! mode [1:0] $end
$var string 1 " mode_name $end
$var integer 32 # vcpu $end
$var string 1 $ vcpu_name $end
$upscope $end
$scope module d1v0 $end
$var reg 2 % state [1:0] $end
$var string 1 & state_name $end
$var reg 1 ' ON $end
$var reg 1 ( SN $end
$var reg 8 ) NV [7:0] $end
$var reg 32 * NDST [31:0] $end
$var reg 32 + NDST_apic_id [31:0] $end
$var string 1 , NDST_pcpu $end
$var reg 8 - RVI [7:0] $end
$var reg 8 . SVI [7:0] $end
$upscope $end
$upscope $end
$enddefinitions $end
#0
$dumpvars
b0 !
sroot "
bx #
snone $
b0 %
soffline &
0'
1(
b11110010 )
b0 *
b0 +
spcpu0 ,
bx -
bx .
$end
#8
b0 #
sd1v0 $
#10
b10 %
srunning &
#20
b1 !
snon-root "
#200
1'
0(
#250
0'
b1000000 -
b0 .
#300
b0 -
b1000000 .
#400
b0 .
#1000
)";
    EXPECT_EQ(vcd_text(parse_trace(test::tiny_trace(), "tiny.json")), want);
}

// The vCPU loaded on a pCPU goes back to x when the pCPU schedules idle
// (HYP_INVALID), and a value set and reset within one cycle is no change.
TEST(ExportVcd, IdleIsXAndSameCycleGlitchIsNoChange) {
    std::string s = test::tiny_trace();
    const std::string last = "[400,10,0,0,0,0,0]";
    s.replace(s.find(last), last.size(), last + ",\n[500,13,0,0,0,4294967295,2],\n[600,0,0,0,3,0],\n[600,0,0,0,1,0],\n[600,0,0,0,3,0]");
    const std::string v = vcd_text(parse_trace(s, "idle.json"));
    EXPECT_NE(v.find("#500\nbx #\nsnone $\n#600\nb11 !\nsidle \"\n#1000\n"), std::string::npos) << v;
}

// IEEE 1364-2005 18.2: declaration commands, each closed by $end; scopes
// balanced; $var type size identifier reference; then simulation commands:
// #time (increasing), $dumpvars ... $end, scalar (0/1/x/z + id) and vector
// (b<bits> id) value changes for declared identifiers only; and GTKWave's
// extension for names: `$var string`, value changes s<text> id.
struct VcdCheck {
    std::map<std::string, std::pair<std::string, unsigned>> vars;  // id -> (path, size)
    std::vector<std::string> errors;
};

VcdCheck check_vcd(const std::string& text) {
    VcdCheck c;
    std::istringstream in(text);
    std::vector<std::string> tok;
    for (std::string w; in >> w;) tok.push_back(w);
    std::size_t i = 0;
    std::vector<std::string> scope;
    auto err = [&](const std::string& e) { c.errors.push_back(e + " at token " + std::to_string(i)); };
    auto to_end = [&](std::size_t from) {
        for (std::size_t j = from; j < tok.size(); ++j)
            if (tok[j] == "$end") return j;
        return tok.size();
    };
    bool timescale = false;
    while (i < tok.size() && tok[i] != "$enddefinitions") {
        const std::string& kw = tok[i];
        if (kw == "$version" || kw == "$comment" || kw == "$date") {
            i = to_end(i + 1) + 1;
        } else if (kw == "$timescale") {
            const std::size_t e = to_end(i + 1);
            std::string ts;
            for (std::size_t j = i + 1; j < e; ++j) ts += tok[j];
            if (!std::regex_match(ts, std::regex("(1|10|100)(s|ms|us|ns|ps|fs)"))) err("bad timescale " + ts);
            timescale = true;
            i = e + 1;
        } else if (kw == "$scope") {
            static const std::set<std::string> types{"begin", "fork", "function", "module", "task"};
            if (i + 3 >= tok.size() || !types.count(tok[i + 1]) || tok[i + 3] != "$end") err("bad $scope");
            else if (!std::regex_match(tok[i + 2], std::regex("[A-Za-z_][A-Za-z0-9_$]*"))) err("bad scope name " + tok[i + 2]);
            scope.push_back(i + 2 < tok.size() ? tok[i + 2] : "");
            i += 4;
        } else if (kw == "$upscope") {
            if (scope.empty() || i + 1 >= tok.size() || tok[i + 1] != "$end") err("bad $upscope");
            if (!scope.empty()) scope.pop_back();
            i += 2;
        } else if (kw == "$var") {
            static const std::set<std::string> types{"event", "integer", "parameter", "real", "realtime", "reg", "supply0", "supply1", "time",
                                                     "tri", "triand", "trior", "trireg", "tri0", "tri1", "wand", "wire", "wor",
                                                     "string"};
            const std::size_t e = to_end(i + 1);
            if (e - i < 5 || e - i > 6 || !types.count(tok[i + 1]) || !std::regex_match(tok[i + 2], std::regex("[1-9][0-9]*"))) {
                err("bad $var");
            } else {
                const unsigned size = static_cast<unsigned>(std::stoul(tok[i + 2]));
                const std::string& id = tok[i + 3];
                for (char ch : id)
                    if (ch < 33 || ch > 126) err("bad identifier");
                if (c.vars.count(id)) err("duplicate identifier " + id);
                if (scope.empty()) err("$var outside a scope");
                if (e - i == 6 && tok[i + 5] != "[" + std::to_string(size - 1) + ":0]") err("range does not match size: " + tok[i + 5]);
                std::string path;
                for (const auto& s : scope) path += s + ".";
                c.vars[id] = {path + tok[i + 4], size};
            }
            i = e + 1;
        } else {
            err("unexpected " + kw);
            ++i;
        }
    }
    if (!timescale) err("no $timescale");
    if (!scope.empty()) err("unbalanced $scope");
    if (i + 1 >= tok.size() || tok[i + 1] != "$end") err("bad $enddefinitions");
    i += 2;
    long long time = -1;
    bool in_dump = false;
    std::set<std::string> dumped;
    for (; i < tok.size(); ++i) {
        const std::string& w = tok[i];
        if (w[0] == '#') {
            const long long t = std::stoll(w.substr(1));
            if (t <= time) err("time does not increase");
            time = t;
        } else if (w == "$dumpvars") {
            if (time != 0) err("$dumpvars not at #0");
            in_dump = true;
        } else if (w == "$end") {
            if (!in_dump) err("stray $end");
            in_dump = false;
        } else if (w[0] == 'b' || w[0] == 'B') {
            if (!std::regex_match(w, std::regex("[bB]([01]+|[xXzZ])"))) err("bad vector value " + w);
            if (i + 1 >= tok.size() || !c.vars.count(tok[i + 1])) err("vector value for an undeclared identifier");
            else if (w.size() - 1 > c.vars[tok[i + 1]].second) err("value wider than its variable");
            if (in_dump && i + 1 < tok.size()) dumped.insert(tok[i + 1]);
            ++i;
        } else if (w[0] == 's') {
            if (w.size() < 2) err("empty string value");
            if (i + 1 >= tok.size() || !c.vars.count(tok[i + 1])) err("string value for an undeclared identifier");
            if (in_dump && i + 1 < tok.size()) dumped.insert(tok[i + 1]);
            ++i;
        } else if (std::string("01xXzZ").find(w[0]) != std::string::npos) {
            if (!c.vars.count(w.substr(1))) err("scalar value for an undeclared identifier " + w);
            if (in_dump) dumped.insert(w.substr(1));
        } else {
            err("unexpected " + w);
        }
        if (time < 0) err("value before the first time");
    }
    if (dumped.size() != c.vars.size()) err("$dumpvars does not give every variable");
    return c;
}

TEST(ExportVcd, FollowsTheVcdGrammarAndDeclaresEverySignal) {
    const VcdCheck c = check_vcd(vcd_text(parse_trace(test::tiny_trace(), "tiny.json")));
    EXPECT_TRUE(c.errors.empty()) << c.errors.front();
    std::set<std::string> paths;
    for (const auto& [id, v] : c.vars) paths.insert(v.first);
    const std::set<std::string> want{"pisim.pcpu0.mode",      "pisim.pcpu0.mode_name",   "pisim.pcpu0.vcpu",
                                     "pisim.pcpu0.vcpu_name", "pisim.d1v0.state",        "pisim.d1v0.state_name",
                                     "pisim.d1v0.ON",         "pisim.d1v0.SN",           "pisim.d1v0.NV",
                                     "pisim.d1v0.NDST",       "pisim.d1v0.NDST_apic_id", "pisim.d1v0.NDST_pcpu",
                                     "pisim.d1v0.RVI",        "pisim.d1v0.SVI"};
    EXPECT_EQ(paths, want);
}

// NDST is decoded by the pCPUs' APIC mode [VT-d 9.12]: in xAPIC mode the APIC
// ID is NDST bits 15:8, in x2APIC mode all 32 bits; NDST_pcpu names the pCPU
// with that APIC ID.
TEST(ExportVcd, NdstDecodedByApicMode) {
    const std::string s = test::tiny_trace();
    const std::string last = "[400,10,0,0,0,0,0]";
    const std::string post = ",\n[500,7,0,0,8192,4,\"0xf20000\",1099527487488,2]";  // NDST 0x100, NV 0xF2
    ASSERT_NE(s.find(last), std::string::npos);
    // xAPIC, pcpu0 with APIC ID 1: NDST 0x100 names APIC ID 1, pcpu0.
    std::string x = s;
    const std::string pcpu = "\"apic_id\":0";
    ASSERT_NE(x.find(pcpu), std::string::npos);
    x.replace(x.find(pcpu), pcpu.size(), "\"apic_id\":1,\"apic_mode\":\"xapic\"");
    x.replace(x.find(last), last.size(), last + post);
    const std::string v = vcd_text(parse_trace(x, "xapic.json"));
    EXPECT_NE(v.find("#500\nb100000000 *\nb1 +\nspcpu0 ,\n"), std::string::npos) << v;
    // The same word in x2APIC mode is APIC ID 0x100: no pCPU has it.
    std::string y = s;
    y.replace(y.find(last), last.size(), last + post);
    const std::string w = vcd_text(parse_trace(y, "x2apic.json"));
    EXPECT_NE(w.find("#500\nb100000000 *\nb100000000 +\nsapic256 ,\n"), std::string::npos) << w;
}

// The checker itself rejects what the grammar forbids.
TEST(ExportVcd, GrammarCheckRejectsMalformedHeaders) {
    const std::string ok = "$timescale 1 ns $end\n$scope module m $end\n$var reg 2 ! a [1:0] $end\n$upscope $end\n$enddefinitions $end\n#0\n$dumpvars\nb0 !\n$end\n#5\nb1 !\n";
    EXPECT_TRUE(check_vcd(ok).errors.empty());
    auto bad = [&](const std::string& from, const std::string& to) {
        std::string s = ok;
        s.replace(s.find(from), from.size(), to);
        return !check_vcd(s).errors.empty();
    };
    EXPECT_TRUE(bad("$upscope $end\n", ""));                 // unbalanced scope
    EXPECT_TRUE(bad("1 ns", "3 ns"));                        // timescale number
    EXPECT_TRUE(bad("[1:0]", "[2:0]"));                      // range vs size
    EXPECT_TRUE(bad("#5", "#0"));                            // time goes back
    EXPECT_TRUE(bad("b1 !", "b1 ?"));                        // undeclared identifier
    EXPECT_TRUE(bad("$scope module m", "$scope box m"));     // scope type
    EXPECT_TRUE(bad("b0 !\n$end", "$end"));                  // $dumpvars incomplete
}

TEST(ExportVcd, Deterministic) {
    EXPECT_EQ(vcd_text(parse_trace(test::tiny_trace(), "a")), vcd_text(parse_trace(test::tiny_trace(), "b")));
}

}  // namespace
}  // namespace pisim
