/**
 * Source addresses and their networks, in SQL. `sourceIPAddress` is often not an address at all
 * (`config.amazonaws.com`, `AWS Internal`): those values are no evidence of where a caller sat,
 * so they become NULL and take no part in the address and network terms.
 */

const IPV4 = "^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$";
// Loose on purpose: hex groups and colons, at least two colons. Zone ids (`%eth0`) are cut off.
const IPV6 = "^[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$";

/** SQL: the address in `column` when it is an IPv4 or IPv6 address, else NULL. */
export function sourceAddressSql(column: string): string {
  const v = `split_part(trim(${column}), '%', 1)`;
  return `CASE WHEN regexp_matches(${v}, '${IPV4}') THEN ${v}
    WHEN regexp_matches(${v}, '${IPV6}') THEN lower(${v}) END`;
}

/**
 * SQL: the network of the address in `column` (already an address or NULL): the /24 of an IPv4
 * address, the /48 of an IPv6 address (its first three 16-bit groups, `::` expanded).
 *
 * Note: an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) gets an IPv6 /48, not the IPv4 /24;
 * CloudTrail writes IPv4 callers in dotted form, so this has not been worth the SQL.
 */
export function sourcePrefixSql(column: string): string {
  const head = `string_split(split_part(${column}, '::', 1), ':')`;
  const tail = `string_split(split_part(${column}, '::', 2), ':')`;
  const groups = `CASE WHEN contains(${column}, '::')
      THEN list_concat(
        list_filter(${head}, g -> g <> ''),
        list_transform(range(greatest(0, 8 - len(list_filter(${head}, g -> g <> ''))
                                         - len(list_filter(${tail}, g -> g <> '')))), x -> '0'),
        list_filter(${tail}, g -> g <> ''))
      ELSE string_split(${column}, ':') END`;
  const hextet = (i: number) => `coalesce(nullif(ltrim((${groups})[${i}], '0'), ''), '0')`;
  return `CASE WHEN ${column} IS NULL THEN NULL
    WHEN NOT contains(${column}, ':')
      THEN regexp_replace(${column}, '\\.[0-9]+$', '') || '.0/24'
    ELSE ${hextet(1)} || ':' || ${hextet(2)} || ':' || ${hextet(3)} || '::/48' END`;
}
