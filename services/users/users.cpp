#include "users/users.h"

#include <sodium.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/log.h"
#include "shop/events.h"
#include "shop/session_token.h"
#include "users/account_fields.h"
#include "users/password.h"

namespace users {
namespace {

using velocity::json_error;
using velocity::json_response;
using velocity::ops::HttpRequest;
using velocity::ops::HttpResponse;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS customers (
  customer_id   TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,   -- normalised: trimmed, lower case
  name          TEXT NOT NULL,
  password_hash TEXT NOT NULL,          -- argon2id, PHC string form
  address       TEXT NOT NULL DEFAULT '{}',  -- JSON shop::Address
  created_at    INTEGER NOT NULL,       -- ms since the epoch
  updated_at    INTEGER NOT NULL
);
)sql";

struct Profile {
  std::string customer_id;
  std::string email;
  std::string name;
  shop::Address address;
};

nlohmann::json profile_json(const Profile& p) {
  return {
      {"customer_id", p.customer_id}, {"email", p.email}, {"name", p.name}, {"address", p.address}};
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string new_customer_id() {
  unsigned char raw[12];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return std::string("cus_") + hex;
}

HttpResponse field_error(int status, const FieldError& error) {
  return json_error(status, error.message, error.field);
}

HttpResponse internal_error(std::string_view what, const velocity::Error& error) {
  velocity::log::error("users: {}: {}", what, error.message());
  return json_error(500, "the account service failed; try again");
}

HttpResponse unauthorised_login() {
  return json_error(401, "wrong email or password");
}

// The service's state shared by its route handlers.
class Accounts {
 public:
  Accounts(velocity::Service& service, shop::SessionKeys keys, UsersOptions options)
      : service_(service), keys_(std::move(keys)), options_(options) {}

  HttpResponse register_customer(const HttpRequest& request);
  HttpResponse log_in(const HttpRequest& request);
  HttpResponse read_profile(const HttpRequest& request);
  HttpResponse update_profile(const HttpRequest& request);

 private:
  struct Session {
    std::string token;
    std::string expires_at;
  };
  Session issue_session(const std::string& customer_id) const;
  // A hash no password matches, verified against on an unknown email so that the answer takes
  // as long as a wrong password and does not reveal which emails have accounts.
  const std::string& decoy_hash();

  velocity::Service& service_;
  shop::SessionKeys keys_;
  UsersOptions options_;
  std::once_flag decoy_once_;
  std::string decoy_hash_;
};

velocity::Result<std::optional<Profile>> load_profile(velocity::Transaction& tx,
                                                      const std::string& customer_id) {
  auto row = tx.query(
      "SELECT customer_id, email, name, address FROM customers WHERE customer_id = ?", customer_id);
  if (!row) return std::unexpected(row.error());
  auto found = row->next();
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<Profile>();
  Profile p{row->text(0), row->text(1), row->text(2), {}};
  auto address = nlohmann::json::parse(row->text(3), nullptr, false);
  if (address.is_object()) p.address = address.get<shop::Address>();
  return std::optional<Profile>(std::move(p));
}

velocity::Result<bool> email_taken(velocity::Transaction& tx, const std::string& email,
                                   const std::string& except_customer) {
  auto row = tx.query("SELECT 1 FROM customers WHERE email = ? AND customer_id <> ?", email,
                      except_customer);
  if (!row) return std::unexpected(row.error());
  return row->next();
}

Accounts::Session Accounts::issue_session(const std::string& customer_id) const {
  // Whole seconds, so expires_at is exactly the token's `exp` claim.
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return Session{shop::issue_token(keys_, customer_id, options_.session_ttl, now),
                 velocity::format_rfc3339(now + options_.session_ttl)};
}

const std::string& Accounts::decoy_hash() {
  std::call_once(decoy_once_, [this] {
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    auto hash = hash_password(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
    decoy_hash_ = hash ? *hash : std::string();
  });
  return decoy_hash_;
}

HttpResponse Accounts::register_customer(const HttpRequest& request) {
  auto body = velocity::json_body(request);
  if (!body) return body.error();
  auto email = read_email(*body, "email");
  if (!email) return field_error(400, email.error());
  auto password = read_password(*body, "password");
  if (!password) return field_error(400, password.error());
  auto name = read_name(*body, "name");
  if (!name) return field_error(400, name.error());

  // A cheap early answer for a taken email, before the deliberately slow hash; the check is
  // repeated inside the writing transaction, which is what makes it exact.
  {
    auto tx = service_.db().begin();
    if (!tx) return internal_error("register", tx.error());
    auto taken = email_taken(*tx, *email, "");
    if (!taken) return internal_error("register", taken.error());
    if (*taken) return json_error(409, "an account with this email already exists", "email");
  }
  auto hash = hash_password(*password);
  if (!hash) return internal_error("register", hash.error());

  Profile profile{new_customer_id(), *email, *name, {}};
  auto tx = service_.db().begin();
  if (!tx) return internal_error("register", tx.error());
  auto taken = email_taken(*tx, *email, "");
  if (!taken) return internal_error("register", taken.error());
  if (*taken) return json_error(409, "an account with this email already exists", "email");
  const auto now = now_ms();
  auto inserted = tx->execute(
      "INSERT INTO customers (customer_id, email, name, password_hash, address, created_at, "
      "updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      profile.customer_id, profile.email, profile.name, *hash,
      nlohmann::json(profile.address).dump(), now, now);
  if (!inserted) return internal_error("register", inserted.error());
  auto emitted =
      service_.emit(*tx, shop::topics::kUsers, profile.customer_id,
                    shop::UserRegistered{profile.customer_id, profile.email, profile.name});
  if (!emitted) return internal_error("register", emitted.error());
  if (auto committed = service_.commit(*tx); !committed)
    return internal_error("register", committed.error());

  const auto session = issue_session(profile.customer_id);
  return json_response(201, {{"customer_id", profile.customer_id},
                             {"email", profile.email},
                             {"name", profile.name},
                             {"token", session.token},
                             {"expires_at", session.expires_at}});
}

HttpResponse Accounts::log_in(const HttpRequest& request) {
  auto body = velocity::json_body(request);
  if (!body) return body.error();
  for (const char* field : {"email", "password"}) {
    const auto it = body->find(field);
    if (it == body->end() || !it->is_string()) {
      return json_error(400, std::string(field) + " is required and must be a string", field);
    }
  }
  const auto email = normalise_email((*body)["email"].get<std::string>());
  const auto password = (*body)["password"].get<std::string>();
  if (count_characters(password) > kMaxPasswordCharacters) return unauthorised_login();

  std::string customer_id;
  std::string hash;
  {
    auto tx = service_.db().begin();
    if (!tx) return internal_error("log in", tx.error());
    auto row = tx->query("SELECT customer_id, password_hash FROM customers WHERE email = ?", email);
    if (!row) return internal_error("log in", row.error());
    auto found = row->next();
    if (!found) return internal_error("log in", found.error());
    if (*found) {
      customer_id = row->text(0);
      hash = row->text(1);
    }
  }
  if (customer_id.empty()) {
    (void)verify_password(decoy_hash(), password);
    return unauthorised_login();
  }
  if (!verify_password(hash, password)) return unauthorised_login();

  auto tx = service_.db().begin();
  if (!tx) return internal_error("log in", tx.error());
  auto emitted =
      service_.emit(*tx, shop::topics::kUsers, customer_id, shop::UserLoggedIn{customer_id});
  if (!emitted) return internal_error("log in", emitted.error());
  if (auto committed = service_.commit(*tx); !committed)
    return internal_error("log in", committed.error());

  const auto session = issue_session(customer_id);
  return json_response(
      200,
      {{"customer_id", customer_id}, {"token", session.token}, {"expires_at", session.expires_at}});
}

HttpResponse Accounts::read_profile(const HttpRequest& request) {
  auto customer = service_.customer(request);
  if (!customer) return customer.error();
  auto tx = service_.db().begin();
  if (!tx) return internal_error("read profile", tx.error());
  auto profile = load_profile(*tx, *customer);
  if (!profile) return internal_error("read profile", profile.error());
  if (!*profile) return json_error(404, "no account for this customer");
  return json_response(200, profile_json(**profile));
}

HttpResponse Accounts::update_profile(const HttpRequest& request) {
  auto customer = service_.customer(request);
  if (!customer) return customer.error();
  auto body = velocity::json_body(request);
  if (!body) return body.error();

  auto present = [&](const char* field) {
    return body->contains(field) && !(*body)[field].is_null();
  };
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<shop::Address> address;
  if (present("name")) {
    auto value = read_name(*body, "name");
    if (!value) return field_error(400, value.error());
    name = std::move(*value);
  }
  if (present("email")) {
    auto value = read_email(*body, "email");
    if (!value) return field_error(400, value.error());
    email = std::move(*value);
  }
  if (present("address")) {
    auto value = read_address((*body)["address"]);
    if (!value) return field_error(400, value.error());
    address = std::move(*value);
  }

  auto tx = service_.db().begin();
  if (!tx) return internal_error("update profile", tx.error());
  auto stored = load_profile(*tx, *customer);
  if (!stored) return internal_error("update profile", stored.error());
  if (!*stored) return json_error(404, "no account for this customer");
  Profile profile = **stored;
  const nlohmann::json before = profile_json(profile);
  if (email && *email != profile.email) {
    auto taken = email_taken(*tx, *email, profile.customer_id);
    if (!taken) return internal_error("update profile", taken.error());
    if (*taken) return json_error(409, "an account with this email already exists", "email");
    profile.email = *email;
  }
  if (name) profile.name = *name;
  if (address) profile.address = *address;
  if (profile_json(profile) == before)
    return json_response(200, before);  // nothing to store or announce

  auto updated = tx->execute(
      "UPDATE customers SET email = ?, name = ?, address = ?, updated_at = ? WHERE customer_id = ?",
      profile.email, profile.name, nlohmann::json(profile.address).dump(), now_ms(),
      profile.customer_id);
  if (!updated) return internal_error("update profile", updated.error());
  auto emitted = service_.emit(
      *tx, shop::topics::kUsers, profile.customer_id,
      shop::ProfileUpdated{profile.customer_id, profile.email, profile.name, profile.address});
  if (!emitted) return internal_error("update profile", emitted.error());
  if (auto committed = service_.commit(*tx); !committed)
    return internal_error("update profile", committed.error());
  return json_response(200, profile_json(profile));
}

}  // namespace

velocity::Result<UsersOptions> UsersOptions::from_env(const velocity::config::Env& env) {
  UsersOptions options;
  auto ttl = env.duration("VELOCITY_SESSION_TTL", options.session_ttl);
  if (!ttl) return std::unexpected(ttl.error());
  options.session_ttl = std::chrono::duration_cast<std::chrono::seconds>(*ttl);
  if (options.session_ttl < std::chrono::seconds(1)) {
    return velocity::fail(velocity::ErrorCode::kInvalidArgument,
                          "VELOCITY_SESSION_TTL must be at least 1s");
  }
  return options;
}

velocity::Result<void> install(velocity::Service& service, const velocity::config::Env& env) {
  if (sodium_init() < 0)
    return velocity::fail(velocity::ErrorCode::kInternal, "libsodium failed to initialise");
  auto options = UsersOptions::from_env(env);
  if (!options) return std::unexpected(options.error());
  auto keys = shop::load_signing_keys(service.config().data_dir, env);
  if (!keys) return std::unexpected(keys.error());
  if (auto migrated = service.migrate(kSchema); !migrated) return migrated;

  auto accounts = std::make_shared<Accounts>(service, std::move(*keys), *options);
  service.route("POST", "/api/users/register",
                [accounts](const HttpRequest& r) { return accounts->register_customer(r); });
  service.route("POST", "/api/users/login",
                [accounts](const HttpRequest& r) { return accounts->log_in(r); });
  service.route("GET", "/api/users/me",
                [accounts](const HttpRequest& r) { return accounts->read_profile(r); });
  service.route("PUT", "/api/users/me",
                [accounts](const HttpRequest& r) { return accounts->update_profile(r); });
  return {};
}

}  // namespace users
