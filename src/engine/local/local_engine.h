// engine/local: the in-memory queue engine. Keeps a small index per queue in RAM (see
// ../README.md for the per-message record) and sends every state change through a Store.
#pragma once

#include <memory>

#include "common/clock.h"
#include "engine/engine.h"
#include "engine/store.h"

namespace sluice::engine {

// Creates the local engine. `clock` must outlive the engine. With `store` null the engine keeps
// state in memory only (fastest); with a store it first rebuilds its index from
// store->Recover() and then writes every change through it.
// A failed recovery is logged and the engine serves what was recovered; use OpenLocalEngine with a
// durable store to refuse to start instead.
std::unique_ptr<Engine> NewLocalEngine(Clock& clock, EngineOptions options,
                                       std::unique_ptr<Store> store = nullptr);

// As NewLocalEngine, but fails with the store's Status when recovery fails.
Result<std::unique_ptr<Engine>> OpenLocalEngine(Clock& clock, EngineOptions options,
                                                std::unique_ptr<Store> store);

}  // namespace sluice::engine
