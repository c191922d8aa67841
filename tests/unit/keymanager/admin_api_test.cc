// The admin API through KeyManager::handle: the bearer token, and the management
// operations with their validation.
#include "km_fixture.h"

namespace postern::keymanager::testing {
namespace {

class AdminApi : public KmTest {
 protected:
  AdminApi() {
    config_.admin_token = "admin-secret-token";
    km_ = std::make_unique<KeyManager>(config_, *store_, *sealer_, catalog_);
  }
  KmResponse call(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& token = "admin-secret-token") {
    KmRequest req;
    req.method = method;
    req.path = path;
    req.body = body;
    req.client_ip = "127.0.0.1";
    if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
    return km_->handle(req, kNow);
  }
};

TEST_F(AdminApi, NeedsTheBearerToken) {
  EXPECT_EQ(call("GET", "/admin/applications", "", "").status, 401);
  EXPECT_EQ(call("GET", "/admin/applications", "", "admin-secret-tokem").status, 401);
  EXPECT_EQ(call("GET", "/admin/applications").status, 200);
}

TEST_F(AdminApi, ManagesApplicationsClientsSubscriptionsUsersAndKeys) {
  EXPECT_EQ(call("POST", "/admin/applications", R"({"name":"shop","tier":"Gold","owner":"ann"})").status, 201);
  EXPECT_EQ(call("POST", "/admin/applications", R"({"name":"shop"})").status, 409);
  KmResponse client = call("POST", "/admin/applications/shop/clients", R"({"keytype":"SANDBOX"})");
  ASSERT_EQ(client.status, 201) << client.body;
  EXPECT_EQ(member(client.body, "keytype"), "SANDBOX");
  EXPECT_EQ(call("POST", "/admin/applications/shop/subscriptions", R"({"api":"Petstore:1.0.0","tier":"Gold"})").status,
            201);
  EXPECT_EQ(call("POST", "/admin/applications/nope/subscriptions", R"({"api":"Petstore:1.0.0"})").status, 404);
  EXPECT_EQ(call("POST", "/admin/applications/shop/subscriptions", R"({"api":"Petstore"})").status, 400);
  const std::string id = member(client.body, "client_id");
  KmResponse rotated = call("POST", "/admin/clients/" + id + "/rotate-secret");
  ASSERT_EQ(rotated.status, 200);
  EXPECT_NE(member(rotated.body, "client_secret"), member(client.body, "client_secret"));
  EXPECT_EQ(
      post("/oauth2/token", "grant_type=client_credentials", basic(id, member(client.body, "client_secret"))).status,
      401)
      << "the old secret must stop working";
  EXPECT_EQ(post("/oauth2/token", "grant_type=client_credentials", basic(id, member(rotated.body, "client_secret")),
                 kNow, "192.0.2.9")
                .status,
            200);
  EXPECT_EQ(call("POST", "/admin/users", R"({"username":"alice","password":"short"})").status, 400);
  EXPECT_EQ(call("POST", "/admin/users", R"({"username":"alice","password":"long enough"})").status, 201);
  EXPECT_EQ(call("POST", "/admin/keys/rotate").status, 200);
  KmResponse list = call("GET", "/admin/applications");
  EXPECT_NE(list.body.find("Petstore:1.0.0"), std::string::npos) << list.body;
  EXPECT_EQ(call("DELETE", "/admin/applications/shop").status, 200);
  EXPECT_EQ(call("GET", "/admin/applications").body, "[]");
}

TEST_F(AdminApi, HostileNamesAreStoredVerbatimOrRefused) {
  const std::string evil = "x'); DROP TABLE applications;--";
  KmResponse r = call("POST", "/admin/applications",
                      R"({"name":"x'); DROP TABLE applications;--","owner":"\" OR 1=1 --"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(member(r.body, "name"), evil);
  EXPECT_EQ(call("POST", "/admin/applications", R"({"name":"bad\u0001name"})").status, 400);
  EXPECT_EQ(call("POST", "/admin/applications", R"({"name":42})").status, 400);
  KmResponse list = call("GET", "/admin/applications");
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("DROP TABLE"), std::string::npos);
}

TEST_F(AdminApi, PlusInAPathSegmentIsAPlus) {
  ASSERT_EQ(call("POST", "/admin/applications", R"({"name":"a b"})").status, 201);
  ASSERT_EQ(call("POST", "/admin/applications", R"({"name":"a+b"})").status, 201);
  KmResponse r = call("DELETE", "/admin/applications/a+b");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(member(r.body, "deleted"), "a+b");
  r = call("DELETE", "/admin/applications/a%20b");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(member(r.body, "deleted"), "a b");
}

}  // namespace
}  // namespace postern::keymanager::testing
