// libpq is loaded when the PostgreSQL backend is used, not when the server starts: linking it
// pulled about twenty shared libraries (Kerberos, LDAP, SASL, GnuTLS, p11-kit and theirs) into
// every process, with their relocations and constructors on the start path and their pages in
// RAM, for a backend most servers never open. libpq_loader.cc defines the libpq functions the
// engine calls (the PQ* names of libpq-fe.h) as forwarders to the library loaded with dlopen.
#pragma once

#include "common/status.h"

namespace sluice::engine::pg {

// Loads libpq.so.5 once (thread-safe); later calls return the first outcome. Call before any
// PQ* function: a PQ* call when the library could not be loaded aborts with its message.
Status LoadLibpq();

}  // namespace sluice::engine::pg
