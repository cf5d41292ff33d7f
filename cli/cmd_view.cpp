// cli/cmd_view.cpp - `pisim view` (serve the viewer and a trace on
// 127.0.0.1) and `pisim report` (one self-contained HTML file).
//
// Both read the trace with the reader `pisim export` uses
// (platform/trace_reader.h) and refuse what it refuses. Both pages carry a
// Content-Security-Policy: no inline event handler, no script but the viewer's
// own, nothing from another origin. The viewer inserts every string of a trace
// as text (viewer/src/text.js, el()); the policy is the second wall.
//
// The viewer's files come from the executable itself (cli/viewer_files.h) or
// $PISIM_VIEWER_DIR. `view` compresses each file it serves once, at start.
#include <fmt/format.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/viewer_files.h"
#include "platform/input_error.h"
#include "platform/inline_script.h"
#include "platform/input_file.h"
#include "platform/output_file.h"
#include "platform/trace_reader.h"

namespace pisim::cli {

namespace {

/// A file of the viewer itself (not user input): from $PISIM_VIEWER_DIR when set (working on
/// the viewer: build/viewer after `cmake --build build --target viewer`), else the copy
/// embedded in this executable at build time.
std::string read_viewer_file(const std::string& name) {
    if (const char* dir = std::getenv("PISIM_VIEWER_DIR")) {
        const std::string path = std::string(dir) + "/" + name;
        std::ifstream in(path, std::ios::binary);
        if (!in) throw InputError(path, 0, 0, "cannot read the viewer file");
        std::ostringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    const std::string_view f = embedded_viewer_file(name);
    if (f.empty()) throw InputError(name, 0, 0, "the viewer file is not embedded in pisim");
    return std::string(f);
}

/// The trace's text, after the one trace reader has accepted it: the viewer
/// is only ever given a trace `pisim export` would also accept.
std::string read_valid_trace(const std::string& path, std::uint64_t max_mib) {
    std::string text = read_input_file(path, max_mib << 20, "trace");
    (void)parse_trace(text, path);
    return text;
}

/// Replace the one occurrence of `marker` in `page`; the viewer's inlining
/// contract guarantees it is there exactly once.
void replace_once(std::string& page, const std::string& marker, const std::string& with, const std::string& file) {
    const auto at = page.find(marker);
    if (at == std::string::npos || page.find(marker, at + 1) != std::string::npos)
        throw InputError(file, 0, 0, "the viewer page must contain '" + marker + "' exactly once");
    page.replace(at, marker.size(), with);
}

/// A CSP source expression for an inline element's exact text:
/// 'sha256-<base64 of its SHA-256>' [CSP3 2.3.1, hash-source].
std::string csp_hash(const std::string& text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr))
        throw std::runtime_error("SHA-256 failed");
    std::string b64(4 * ((len + 2) / 3) + 1, '\0');
    b64.resize(static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), digest, static_cast<int>(len))));
    return "'sha256-" + b64 + "'";
}

/// The policy of `pisim view`'s responses: the viewer's files from this
/// server, the trace fetched from it, nothing else.
const char* const kViewPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The policy of a report (a file opened from disk): only the inlined script
/// and style, by hash; the trace is a data block, never executed.
std::string report_policy(const std::string& script, const std::string& style) {
    return "default-src 'none'; script-src " + csp_hash(script) + "; style-src " + csp_hash(style) +
           "; img-src data:; base-uri 'none'; form-action 'none'";
}

}  // namespace

int cmd_report(const ReportArgs& a) {
    OutputSet files;
    files.input(a.trace, "the trace");
    files.output(a.out, "--out");
    const std::string trace = read_valid_trace(a.trace, a.max_mib);
    const std::string index = "index.html";
    std::string page = read_viewer_file(index);
    const std::string style = "\n" + script_safe(read_viewer_file("viewer.css")) + "\n";
    const std::string script = "\n" + script_safe(read_viewer_file("viewer.js")) + "\n";
    replace_once(page, "<meta charset=\"utf-8\">",
                 "<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"" +
                     report_policy(script, style) + "\">",
                 index);
    replace_once(page, "<link rel=\"stylesheet\" href=\"viewer.css\">", "<style>" + style + "</style>", index);
    replace_once(page, "<script src=\"viewer.js\"></script>", "<script>" + script + "</script>", index);
    replace_once(page, "<!-- pisim-trace -->",
                 "<script id=\"pisim-trace\" type=\"application/json\">" + script_safe(trace) + "</script>", index);
    write_file_atomic(a.out, page);
    std::cout << fmt::format("wrote {} ({} bytes, opens from disk)\n", a.out, page.size());
    return 0;
}

namespace {

/// Limits of `pisim view`'s server (README "The trace viewer"): a client that
/// trickles its request or reads the answer slowly holds one worker for at
/// most the read or write timeout per pause; kWorkers connections are served
/// at once, later ones wait for a free worker.
struct ViewLimits {
    static constexpr std::size_t kWorkers = 64;
    static constexpr time_t kReadTimeoutSec = 2;   ///< longest pause within a request
    static constexpr time_t kWriteTimeoutSec = 5;  ///< longest stall of a reader
    static constexpr time_t kKeepAliveSec = 2;     ///< idle connection closed after this
    static constexpr std::size_t kKeepAliveRequests = 100;
};

/// The server's connection workers: started on demand, at most `max`, each
/// serving one connection at a time; connections beyond wait in order.
class BoundedPool : public httplib::TaskQueue {
public:
    explicit BoundedPool(std::size_t max) : max_(max) {}
    ~BoundedPool() override = default;

    void enqueue(std::function<void()> fn) override {
        std::lock_guard<std::mutex> lock(mutex_);
        jobs_.push_back(std::move(fn));
        if (jobs_.size() > idle_ && threads_.size() < max_) threads_.emplace_back([this] { work(); });
        cond_.notify_one();
    }

    void shutdown() override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        cond_.notify_all();
        for (auto& t : threads_) t.join();
    }

private:
    void work() {
        for (;;) {
            std::function<void()> fn;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                ++idle_;
                cond_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
                --idle_;
                if (jobs_.empty()) return;
                fn = std::move(jobs_.front());
                jobs_.pop_front();
            }
            fn();
        }
    }

    const std::size_t max_;
    std::mutex mutex_;
    std::condition_variable cond_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> threads_;
    std::size_t idle_ = 0;
    bool stop_ = false;
};

/// DNS rebinding: a page of another site whose name now resolves to
/// 127.0.0.1 reaches this server with its own name in Host. Only the names
/// this server is reached by directly are answered.
bool host_allowed(const std::string& host, int port) {
    for (const char* name : {"127.0.0.1", "localhost"})
        if (host == fmt::format("{}:{}", name, port) || (port == 80 && host == name)) return true;  // a browser omits :80
    return false;
}

void add_security_headers(httplib::Response& res) {
    res.set_header("Content-Security-Policy", kViewPolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Cross-Origin-Resource-Policy", "same-origin");
    res.set_header("Cache-Control", "no-store");
}

/// `text` gzip-compressed [RFC 1952] (zlib level 6, no name, no time: the same bytes every
/// run), once when the server starts.
std::string gzip(const std::string& text) {
    z_stream z{};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflateInit2 failed");
    std::string out(deflateBound(&z, text.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
    return out;
}

/// Whether the request's Accept-Encoding [RFC 9110 12.5.3] accepts gzip (q > 0).
bool accepts_gzip(const httplib::Request& req) {
    std::string a = req.get_header_value("Accept-Encoding");
    std::transform(a.begin(), a.end(), a.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::size_t at = 0;
    while (at < a.size()) {
        std::size_t end = a.find(',', at);
        if (end == std::string::npos) end = a.size();
        std::string item = a.substr(at, end - at);
        at = end + 1;
        item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
        const std::size_t semi = item.find(';');
        const std::string coding = item.substr(0, semi);
        if (coding != "gzip" && coding != "x-gzip" && coding != "*") continue;
        if (semi == std::string::npos) return true;
        const std::size_t q = item.find("q=", semi);
        return q == std::string::npos || std::strtod(item.c_str() + q + 2, nullptr) > 0;
    }
    return false;
}

/// A served file: its bytes and, when that is smaller, the same gzip-compressed, both made
/// once when the server starts. Answers go out through a content provider of known length:
/// cpp-httplib compresses a plain body itself on every request (Brotli at its highest
/// quality when the browser offers br, about 33 s of CPU for a 14 MB trace), never a
/// provider's.
struct Served {
    std::string body, gz;
    const char* type;
};

void serve(httplib::Server& srv, const std::string& path, std::string body, const char* type) {
    auto file = std::make_shared<Served>(Served{std::move(body), {}, type});
    std::string gz = gzip(file->body);
    if (gz.size() < file->body.size()) file->gz = std::move(gz);
    srv.Get(path, [file](const httplib::Request& req, httplib::Response& res) {
        const bool gz = !file->gz.empty() && accepts_gzip(req);
        const std::string& bytes = gz ? file->gz : file->body;
        if (gz) res.set_header("Content-Encoding", "gzip");
        res.set_header("Vary", "Accept-Encoding");
        res.set_content_provider(bytes.size(), file->type, [file, &bytes](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
            return sink.write(bytes.data() + offset, std::min<std::size_t>(length, std::size_t{1} << 20));
        });
    });
}

}  // namespace

int cmd_view(const ViewArgs& a) {
    const std::string trace = read_valid_trace(a.trace, a.max_mib);
    httplib::Server srv;
    std::atomic<int> port{0};
    srv.new_task_queue = [] { return new BoundedPool(ViewLimits::kWorkers); };
    srv.set_read_timeout(ViewLimits::kReadTimeoutSec, 0);
    srv.set_write_timeout(ViewLimits::kWriteTimeoutSec, 0);
    srv.set_keep_alive_timeout(ViewLimits::kKeepAliveSec);
    srv.set_keep_alive_max_count(ViewLimits::kKeepAliveRequests);
    srv.set_pre_routing_handler([&port](const httplib::Request& req, httplib::Response& res) {
        add_security_headers(res);
        if (host_allowed(req.get_header_value("Host"), port)) return httplib::Server::HandlerResponse::Unhandled;
        res.status = 421;  // Misdirected Request [RFC 9110 15.5.20]
        res.set_content("pisim view answers only to Host 127.0.0.1:PORT or localhost:PORT\n", "text/plain");
        return httplib::Server::HandlerResponse::Handled;
    });
    const std::string page = read_viewer_file("index.html");
    serve(srv, "/", page, "text/html; charset=utf-8");
    serve(srv, "/index.html", page, "text/html; charset=utf-8");
    serve(srv, "/viewer.js", read_viewer_file("viewer.js"), "text/javascript; charset=utf-8");
    serve(srv, "/viewer.css", read_viewer_file("viewer.css"), "text/css; charset=utf-8");
    serve(srv, "/trace.json", trace, "application/json");
    port = a.port ? (srv.bind_to_port("127.0.0.1", a.port) ? a.port : -1) : srv.bind_to_any_port("127.0.0.1");
    if (port <= 0) throw InputError(a.trace, 0, 0, fmt::format("cannot listen on 127.0.0.1:{}", a.port));
    std::cout << fmt::format("pisim viewer: http://127.0.0.1:{}/  (Ctrl-C to stop)\n", port.load()) << std::flush;
    srv.listen_after_bind();
    return 0;
}

}  // namespace pisim::cli
