// For the server's tests: a throwaway PostgreSQL cluster, the real server. initdb into a fresh
// folder under the temp directory, then pg_ctl start on a free loopback port (no Unix socket
// elsewhere than that folder); stopped (immediate) and removed when the object goes.
//
// The programs are Debian's (package postgresql: /usr/lib/postgresql/VERSION/bin, or
// TONEPOEM_PG_BINDIR). PostgreSQL refuses to run as root, so as root (CI) they run as the
// `postgres` system user through runuser, with the folder given to that user.
#pragma once

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "server/test_process.h"

namespace tonepoem::testing {

class PgCluster {
 public:
  PgCluster() {
    namespace fs = std::filesystem;
    const fs::path bin = bindir();
    if (bin.empty()) {
      error_ =
          "no PostgreSQL programs (initdb) in /usr/lib/postgresql/*/bin: scripts/setup "
          "installs the postgresql package";
      return;
    }
    static int count = 0;
    dir_ = fs::temp_directory_path() /
           ("tonepoem-pg-" + std::to_string(::getpid()) + "-" + std::to_string(count++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::vector<std::string> as_user;
    if (::geteuid() == 0) {
      const passwd* pg = ::getpwnam("postgres");
      if (!pg) {
        error_ = "running as root and there is no `postgres` user to run PostgreSQL as";
        return;
      }
      if (::chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0) {
        error_ = "cannot give " + dir_.string() + " to the postgres user";
        return;
      }
      as_user = {"/usr/sbin/runuser", "-u", "postgres", "--"};
    }
    port_ = free_port();
    const std::string data = (dir_ / "data").string();
    std::vector<std::string> initdb = as_user;
    for (const std::string& a :
         {(bin / "initdb").string(), std::string("-D"), data, std::string("-A"),
          std::string("trust"), std::string("-U"), std::string("tonepoem"), std::string("-E"),
          std::string("UTF8"), std::string("--no-sync")})
      initdb.push_back(a);
    std::string output;
    if (run_program(initdb, &output) != 0) {
      error_ = "initdb failed: " + output;
      return;
    }
    std::vector<std::string> start = as_user;
    for (const std::string& a :
         {(bin / "pg_ctl").string(), std::string("-D"), data, std::string("-l"),
          (dir_ / "log").string(), std::string("-w"), std::string("-t"), std::string("60"),
          std::string("-o"),
          "-p " + std::to_string(port_) + " -k " + dir_.string() +
              " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
              " -c full_page_writes=off -c max_connections=300",
          std::string("start")})
      start.push_back(a);
    if (run_program(start, &output) != 0) {
      std::ifstream log(dir_ / "log");
      std::ostringstream text;
      text << log.rdbuf();
      error_ = "pg_ctl start failed: " + output + text.str();
      return;
    }
    stop_ = as_user;
    for (const std::string& a :
         {(bin / "pg_ctl").string(), std::string("-D"), data, std::string("-m"),
          std::string("immediate"), std::string("-w"), std::string("stop")})
      stop_.push_back(a);
  }
  ~PgCluster() {
    if (!stop_.empty()) run_program(stop_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // Empty when the cluster runs; else what went wrong.
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  // The database `postgres` as the superuser `tonepoem` (trust authentication on loopback).
  std::string url() const {
    return "postgresql://tonepoem@127.0.0.1:" + std::to_string(port_) + "/postgres";
  }

 private:
  static std::filesystem::path bindir() {
    namespace fs = std::filesystem;
    if (const char* env = std::getenv("TONEPOEM_PG_BINDIR")) return env;
    fs::path best;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec))
      if (fs::exists(entry.path() / "bin" / "initdb") && entry.path() > best.parent_path())
        best = entry.path() / "bin";
    return best;
  }
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
      port = ntohs(address.sin_port);
    ::close(fd);
    return port;
  }

  std::filesystem::path dir_;
  int port_ = 0;
  std::string error_;
  std::vector<std::string> stop_;
};

}  // namespace tonepoem::testing
