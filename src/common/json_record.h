// Small accessors for the JSON records that services keep in the resource store. A record is
// written by its service and read back by the same service, so a missing or mistyped member reads
// as its empty value; each service checks the members it cannot do without.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::json_record {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Writes "key": "value".
void Str(Writer& w, const char* key, std::string_view value);
// Writes "key": "value" when the value is present.
void OptStr(Writer& w, const char* key, const std::optional<std::string>& value);
// Writes "key": {"k": "v", ...}.
void StrMap(Writer& w, const char* key, const std::map<std::string, std::string>& map);

std::string GetStr(const rapidjson::Value& o, const char* key);
std::optional<std::string> GetOptStr(const rapidjson::Value& o, const char* key);
std::int64_t GetInt(const rapidjson::Value& o, const char* key);
bool GetBool(const rapidjson::Value& o, const char* key);
// The string members of an object member; members that are not strings are skipped.
std::map<std::string, std::string> GetStrMap(const rapidjson::Value& o, const char* key);

}  // namespace sluice::json_record
