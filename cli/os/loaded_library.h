// A C library loaded at run time (dlopen) instead of linked, for the targets that need it
// (libcurl, libpq, hiredis): linked, each would bring its dependencies into every run of
// seltool, and seltool would not start where one is missing. Each user writes the functions it
// calls once, as an X-macro list of their names, and gets a table of pointers to them:
//
//   #define SELTOOL_PQ_FUNCTIONS(X) X(PQconnectPoll) X(PQfinish)
//   struct PqLibrary { SELTOOL_PQ_FUNCTIONS(SELTOOL_FUNCTION_POINTER) };
//   const LoadedLibrary library({"libpq.so.5"}, "postgres:// targets need libpq...");
//   PqLibrary table;
//   SELTOOL_PQ_FUNCTIONS(SELTOOL_RESOLVE_FUNCTION)  // library.resolve(table.NAME, "NAME")
//
// A library stays loaded until seltool exits. POSIX only (cli/os/BUILD).
#pragma once

#include <initializer_list>
#include <string>

namespace seltool::cli {

class LoadedLibrary {
 public:
  // Loads the first of `sonames` this system has. Throws UsageError "`missing` (<why dlopen
  // failed>)" when it has none: `missing` names what needs the library and what to install.
  LoadedLibrary(std::initializer_list<const char*> sonames, const std::string& missing);

  // Points `function` at the library's function `name`. Throws UsageError when the installed
  // library has none (it is too old).
  template <typename Function>
  void resolve(Function*& function, const char* name) const {
    function = reinterpret_cast<Function*>(symbol(name));
  }

 private:
  void* symbol(const char* name) const;

  void* handle_ = nullptr;
  std::string soname_;
};

}  // namespace seltool::cli

// A member `NAME` of a function table: a pointer of NAME's type.
#define SELTOOL_FUNCTION_POINTER(name) decltype(&::name) name = nullptr;
// Fills member `NAME` of the table `table` from the LoadedLibrary `library`.
#define SELTOOL_RESOLVE_FUNCTION(name) library.resolve(table.name, #name);
