#include "list_flags.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "kiln/cli/tracking_refs.h"
#include "session.h"

namespace kiln::cli {

void AddListFlags(CLI::App& command, ListFlags& flags, const std::string& fields,
                  const std::string& default_order) {
  command
      .add_option("--order-by", flags.order_by,
                  fmt::format("Order by one of: {} (optionally followed by asc or desc) "
                              "[default: {}]",
                              fields, default_order))
      ->type_name("FIELD");
  CLI::Option* asc = command.add_flag("--asc", flags.asc, "Ascending order");
  command.add_flag("--desc", flags.desc, "Descending order")->excludes(asc);
  command.add_option("--limit", flags.limit, "Entries per page [default: 100]")->type_name("N");
  command
      .add_option("--page-token", flags.page_token,
                  "Continue a listing: the token of the previous page's \"more:\" line")
      ->type_name("T");
}

core::Result<track::PageRequest> ToPageRequest(const ListFlags& flags, bool descending_by_default) {
  track::PageRequest page;
  if (!flags.order_by.empty()) {
    KILN_ASSIGN_OR_RETURN(OrderBy order, SplitOrderBy(flags.order_by));
    if (order.descending &&
        ((*order.descending && flags.asc) || (!*order.descending && flags.desc))) {
      return core::InvalidArgument("--order-by '{}' contradicts {}", flags.order_by,
                                   flags.asc ? "--asc" : "--desc");
    }
    page.order_by = order.field;
    if (order.descending) descending_by_default = *order.descending;
  }
  page.descending = flags.asc ? false : flags.desc ? true : descending_by_default;
  page.limit = flags.limit;
  page.page_token = flags.page_token;
  return page;
}

void ReportNextPage(const std::string& token, bool json, Session& session) {
  if (token.empty()) return;
  (json ? session.err() : session.out()) << "more: --page-token " << token << '\n';
}

}  // namespace kiln::cli
