// Tests of status.hpp and error.hpp: the status table, the error category and VisaIOError.
#include <cppvisa/error.hpp>
#include <cppvisa/status.hpp>

#include <gtest/gtest.h>

#include <set>

using namespace cppvisa;

TEST(Status, ValuesMatchVisaH) {
  EXPECT_EQ(status::SUCCESS, 0);
  EXPECT_EQ(status::ERROR_TMO, -1073807339);
  EXPECT_EQ(status::SUCCESS_TERM_CHAR, 0x3FFF0005);
  EXPECT_EQ(status::SUCCESS_MAX_CNT, 0x3FFF0006);
  EXPECT_EQ(status::ERROR_INV_RSRC_NAME, static_cast<status_t>(0xBFFF0012u));
  EXPECT_EQ(status::ERROR_CONN_LOST, static_cast<status_t>(0xBFFF00A6u));
  EXPECT_EQ(status::ERROR_INV_SESSION, status::ERROR_INV_OBJECT);
}

TEST(Status, TableHasUniqueNamesAndValues) {
  std::size_t n = 0;
  const StatusInfo* rows = status_table(n);
  ASSERT_GT(n, 100u);
  std::set<status_t> values;
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_TRUE(values.insert(rows[i].value).second) << rows[i].name;
    EXPECT_TRUE(names.insert(rows[i].name).second) << rows[i].name;
    EXPECT_EQ(rows[i].name.substr(0, 3), "VI_");
    EXPECT_FALSE(rows[i].description.empty());
    EXPECT_EQ(find_status(rows[i].value), &rows[i]);
  }
}

TEST(Status, NamesAndDescriptions) {
  EXPECT_EQ(status_name(status::ERROR_TMO), "VI_ERROR_TMO");
  EXPECT_EQ(status_name(status::SUCCESS), "VI_SUCCESS");
  EXPECT_EQ(status_name(0x12345678), "0x12345678");
  EXPECT_EQ(status_description(0x12345678), "Unknown status value 0x12345678.");
  EXPECT_EQ(find_status(0x12345678), nullptr);
  EXPECT_TRUE(is_error(status::ERROR_TMO));
  EXPECT_TRUE(is_success(status::SUCCESS_MAX_CNT));
}

TEST(ErrorCategory, ValuesAreStatusCodes) {
  std::error_code ec = make_error_code(status::ERROR_TMO);
  EXPECT_TRUE(ec);
  EXPECT_EQ(ec.value(), status::ERROR_TMO);
  EXPECT_EQ(&ec.category(), &visa_category());
  EXPECT_STREQ(visa_category().name(), "visa");
  EXPECT_NE(ec.message().find("VI_ERROR_TMO"), std::string::npos);
  EXPECT_EQ(to_status(ec), status::ERROR_TMO);
  // Warnings are not errors.
  EXPECT_FALSE(make_error_code(status::SUCCESS_TERM_CHAR));
  EXPECT_EQ(to_status(std::error_code{}), status::SUCCESS);
  EXPECT_EQ(to_status(std::make_error_code(std::errc::timed_out)), status::ERROR_TMO);
  EXPECT_EQ(to_status(std::make_error_code(std::errc::io_error)), status::ERROR_SYSTEM_ERROR);
}

TEST(VisaIOError, CarriesStatusNameAndDescription) {
  VisaIOError e(status::ERROR_RSRC_NFOUND, "while opening X");
  EXPECT_EQ(e.error_code(), status::ERROR_RSRC_NFOUND);
  EXPECT_EQ(e.abbreviation(), "VI_ERROR_RSRC_NFOUND");
  EXPECT_EQ(e.description(), status_description(status::ERROR_RSRC_NFOUND));
  EXPECT_NE(std::string(e.what()).find("while opening X"), std::string::npos);
  EXPECT_EQ(e.code(), make_error_code(status::ERROR_RSRC_NFOUND));
  EXPECT_THROW(throw_if(make_error_code(status::ERROR_IO)), VisaIOError);
  EXPECT_NO_THROW(throw_if(std::error_code{}));
}
