//! Which addresses a webhook may be sent to: public internet addresses only.
//!
//! The rule is the IANA special-purpose address registries (IPv4 and IPv6, as of their
//! 2025 editions), written down below entry by entry, plus the blocks those registries
//! leave to other documents: multicast, the deprecated IPv4-compatible and site-local
//! IPv6 blocks, and all IPv6 space outside 2000::/3 (the only block IANA hands out for
//! global unicast).
//!
//! Every registry entry is refused, including the few the registry marks globally
//! reachable (anycast services such as AS112, AMT, PCP and TURN, ORCHIDv2, drone tags):
//! none of them is where an organisation's webhook receiver lives, and refusing the whole
//! registry leaves no judgement to get wrong.
//!
//! IPv6 forms that carry an IPv4 address inside them (IPv4-mapped, IPv4-compatible, NAT64
//! in both prefixes, 6to4, Teredo) are refused whole, whatever IPv4 address they carry: a
//! receiver with a public IPv4 address is reached at that address, and judging the
//! embedded one would mean trusting every translator and relay on the way.

use std::net::IpAddr;
use std::sync::LazyLock;

use ipnet::IpNet;

/// One refused block: its prefix as the registry writes it, and the registry's name and RFC.
#[derive(Debug, PartialEq, Eq)]
pub struct Block {
    pub prefix: &'static str,
    pub name: &'static str,
    pub rfc: &'static str,
}

const fn block(prefix: &'static str, name: &'static str, rfc: &'static str) -> Block {
    Block { prefix, name, rfc }
}

/// Every entry of the IANA IPv4 Special-Purpose Address Registry, in its order; the
/// comment gives the entry's "globally reachable" column.
#[rustfmt::skip]
const IPV4_REGISTRY: &[Block] = &[
    block("0.0.0.0/8", "This network", "RFC 791"),                                   // False
    block("0.0.0.0/32", "This host on this network", "RFC 1122"),                    // False
    block("10.0.0.0/8", "Private-Use", "RFC 1918"),                                  // False
    block("100.64.0.0/10", "Shared Address Space", "RFC 6598"),                      // False
    block("127.0.0.0/8", "Loopback", "RFC 1122"),                                    // False
    block("169.254.0.0/16", "Link Local", "RFC 3927"),                               // False
    block("172.16.0.0/12", "Private-Use", "RFC 1918"),                               // False
    block("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890"),                  // False
    block("192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335"),             // False
    block("192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),                         // False
    block("192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723"),              // True
    block("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155"), // True
    block("192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050"),          // False
    block("192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050"),          // False
    block("192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737"),                 // False
    block("192.31.196.0/24", "AS112-v4", "RFC 7535"),                                // True
    block("192.52.193.0/24", "AMT", "RFC 7450"),                                     // True
    block("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526"),          // (terminated)
    block("192.88.99.2/32", "6a44-relay anycast address", "RFC 6751"),               // False
    block("192.168.0.0/16", "Private-Use", "RFC 1918"),                              // False
    block("192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534"),         // True
    block("198.18.0.0/15", "Benchmarking", "RFC 2544"),                              // False
    block("198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737"),              // False
    block("203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737"),               // False
    block("240.0.0.0/4", "Reserved", "RFC 1112"),                                    // False
    block("255.255.255.255/32", "Limited Broadcast", "RFC 8190, RFC 919"),           // False
];

/// Every entry of the IANA IPv6 Special-Purpose Address Registry, in its order; the
/// comment gives the entry's "globally reachable" column.
#[rustfmt::skip]
const IPV6_REGISTRY: &[Block] = &[
    block("::1/128", "Loopback Address", "RFC 4291"),                                   // False
    block("::/128", "Unspecified Address", "RFC 4291"),                                 // False
    block("::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291"),                          // False
    block("64:ff9b::/96", "IPv4-IPv6 Translation (NAT64)", "RFC 6052"),                 // True
    block("64:ff9b:1::/48", "IPv4-IPv6 Translation (local NAT64)", "RFC 8215"),         // False
    block("100::/64", "Discard-Only Address Block", "RFC 6666"),                        // False
    block("100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780"),                           // False
    block("2001::/23", "IETF Protocol Assignments", "RFC 2928"),                        // False
    block("2001::/32", "TEREDO", "RFC 4380, RFC 8190"),                                 // N/A
    block("2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723"),                // True
    block("2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155"),    // True
    block("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665"), // True
    block("2001:2::/48", "Benchmarking", "RFC 5180"),                                   // False
    block("2001:3::/32", "AMT", "RFC 7450"),                                            // True
    block("2001:4:112::/48", "AS112-v6", "RFC 7535"),                                   // True
    block("2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843"),                // (terminated)
    block("2001:20::/28", "ORCHIDv2", "RFC 7343"),                                      // True
    block("2001:30::/28", "Drone Remote ID Protocol Entity Tags", "RFC 9374"),          // True
    block("2001:db8::/32", "Documentation", "RFC 3849"),                                // False
    block("2002::/16", "6to4", "RFC 3056"),                                             // N/A
    block("2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534"),          // True
    block("3fff::/20", "Documentation", "RFC 9637"),                                    // False
    block("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602"),                      // False
    block("fc00::/7", "Unique-Local", "RFC 4193, RFC 8190"),                            // False
    block("fe80::/10", "Link-Local Unicast", "RFC 4291"),                               // False
];

/// Not public either, though outside the special-purpose registries.
#[rustfmt::skip]
const OTHERS: &[Block] = &[
    block("224.0.0.0/4", "Multicast", "RFC 5771"),
    block("ff00::/8", "Multicast", "RFC 4291"),
    block("::/96", "IPv4-compatible Address (deprecated)", "RFC 4291"),
    block("fec0::/10", "Site-Local (deprecated)", "RFC 3879"),
    // IPv6 space outside 2000::/3 is reserved by the IETF; nothing there is on the internet.
    block("::/3", "Reserved by the IETF, not global unicast", "RFC 4291"),
    block("4000::/2", "Reserved by the IETF, not global unicast", "RFC 4291"),
    block("8000::/1", "Reserved by the IETF, not global unicast", "RFC 4291"),
];

static BLOCKS: LazyLock<Vec<(IpNet, &'static Block)>> = LazyLock::new(|| {
    IPV4_REGISTRY
        .iter()
        .chain(IPV6_REGISTRY)
        .chain(OTHERS)
        .map(|b| (b.prefix.parse().expect("the tables hold valid prefixes"), b))
        .collect()
});

/// The block that makes `ip` not public, if any. Where blocks nest, the narrowest names
/// it, as the registries' more specific entries do (192.0.0.9 is PCP anycast, not just
/// IETF protocol assignments).
pub fn refusal(ip: IpAddr) -> Option<&'static Block> {
    BLOCKS
        .iter()
        .filter(|(net, _)| net.contains(&ip))
        .max_by_key(|(net, _)| net.prefix_len())
        .map(|(_, b)| *b)
}

pub fn is_public(ip: IpAddr) -> bool {
    refusal(ip).is_none()
}

/// Whether a webhook may be sent to `ip`. `loopback_allowed` (for tests and one-machine
/// set-ups, whose receivers listen on this machine) lets 127.0.0.0/8 and ::1 through, in
/// their plain forms only; every other refused block stays refused.
pub fn check(ip: IpAddr, loopback_allowed: bool) -> Result<(), &'static Block> {
    if loopback_allowed && ip.is_loopback() {
        return Ok(());
    }
    refusal(ip).map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One registry range written out by hand: its first and last address, and the public
    /// addresses just outside it, where there are any.
    struct Range {
        prefix: &'static str,
        first: &'static str,
        last: &'static str,
        neighbours: &'static [&'static str],
    }

    const fn range(
        prefix: &'static str,
        first: &'static str,
        last: &'static str,
        neighbours: &'static [&'static str],
    ) -> Range {
        Range {
            prefix,
            first,
            last,
            neighbours,
        }
    }

    #[rustfmt::skip]
    const RANGES: &[Range] = &[
        range("0.0.0.0/8", "0.0.0.0", "0.255.255.255", &["1.0.0.0"]),
        range("0.0.0.0/32", "0.0.0.0", "0.0.0.0", &[]),
        range("10.0.0.0/8", "10.0.0.0", "10.255.255.255", &["9.255.255.255", "11.0.0.0"]),
        range("100.64.0.0/10", "100.64.0.0", "100.127.255.255", &["100.63.255.255", "100.128.0.0"]),
        range("127.0.0.0/8", "127.0.0.0", "127.255.255.255", &["126.255.255.255", "128.0.0.0"]),
        range("169.254.0.0/16", "169.254.0.0", "169.254.255.255", &["169.253.255.255", "169.255.0.0"]),
        range("172.16.0.0/12", "172.16.0.0", "172.31.255.255", &["172.15.255.255", "172.32.0.0"]),
        range("192.0.0.0/24", "192.0.0.0", "192.0.0.255", &["191.255.255.255", "192.0.1.0"]),
        range("192.0.0.0/29", "192.0.0.0", "192.0.0.7", &[]),
        range("192.0.0.8/32", "192.0.0.8", "192.0.0.8", &[]),
        range("192.0.0.9/32", "192.0.0.9", "192.0.0.9", &[]),
        range("192.0.0.10/32", "192.0.0.10", "192.0.0.10", &[]),
        range("192.0.0.170/32", "192.0.0.170", "192.0.0.170", &[]),
        range("192.0.0.171/32", "192.0.0.171", "192.0.0.171", &[]),
        range("192.0.2.0/24", "192.0.2.0", "192.0.2.255", &["192.0.1.255", "192.0.3.0"]),
        range("192.31.196.0/24", "192.31.196.0", "192.31.196.255", &["192.31.195.255", "192.31.197.0"]),
        range("192.52.193.0/24", "192.52.193.0", "192.52.193.255", &["192.52.192.255", "192.52.194.0"]),
        range("192.88.99.0/24", "192.88.99.0", "192.88.99.255", &["192.88.98.255", "192.88.100.0"]),
        range("192.88.99.2/32", "192.88.99.2", "192.88.99.2", &[]),
        range("192.168.0.0/16", "192.168.0.0", "192.168.255.255", &["192.167.255.255", "192.169.0.0"]),
        range("192.175.48.0/24", "192.175.48.0", "192.175.48.255", &["192.175.47.255", "192.175.49.0"]),
        range("198.18.0.0/15", "198.18.0.0", "198.19.255.255", &["198.17.255.255", "198.20.0.0"]),
        range("198.51.100.0/24", "198.51.100.0", "198.51.100.255", &["198.51.99.255", "198.51.101.0"]),
        range("203.0.113.0/24", "203.0.113.0", "203.0.113.255", &["203.0.112.255", "203.0.114.0"]),
        range("240.0.0.0/4", "240.0.0.0", "255.255.255.255", &[]),
        range("255.255.255.255/32", "255.255.255.255", "255.255.255.255", &[]),
        range("224.0.0.0/4", "224.0.0.0", "239.255.255.255", &["223.255.255.255"]),
        range("::1/128", "::1", "::1", &[]),
        range("::/128", "::", "::", &[]),
        range("::ffff:0:0/96", "::ffff:0.0.0.0", "::ffff:255.255.255.255", &[]),
        range("64:ff9b::/96", "64:ff9b::", "64:ff9b::ffff:ffff", &[]),
        range("64:ff9b:1::/48", "64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", &[]),
        range("100::/64", "100::", "100::ffff:ffff:ffff:ffff", &[]),
        range("100:0:0:1::/64", "100:0:0:1::", "100::1:ffff:ffff:ffff:ffff", &[]),
        range("2001::/23", "2001::", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", &["2001:200::"]),
        range("2001::/32", "2001::", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", &[]),
        range("2001:1::1/128", "2001:1::1", "2001:1::1", &[]),
        range("2001:1::2/128", "2001:1::2", "2001:1::2", &[]),
        range("2001:1::3/128", "2001:1::3", "2001:1::3", &[]),
        range("2001:2::/48", "2001:2::", "2001:2:0:ffff:ffff:ffff:ffff:ffff", &[]),
        range("2001:3::/32", "2001:3::", "2001:3:ffff:ffff:ffff:ffff:ffff:ffff", &[]),
        range("2001:4:112::/48", "2001:4:112::", "2001:4:112:ffff:ffff:ffff:ffff:ffff", &[]),
        range("2001:10::/28", "2001:10::", "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", &[]),
        range("2001:20::/28", "2001:20::", "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", &[]),
        range("2001:30::/28", "2001:30::", "2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", &[]),
        range(
            "2001:db8::/32",
            "2001:db8::",
            "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
            &["2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::"],
        ),
        range(
            "2002::/16",
            "2002::",
            "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            &["2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2003::"],
        ),
        range(
            "2620:4f:8000::/48",
            "2620:4f:8000::",
            "2620:4f:8000:ffff:ffff:ffff:ffff:ffff",
            &["2620:4f:7fff:ffff:ffff:ffff:ffff:ffff", "2620:4f:8001::"],
        ),
        range(
            "3fff::/20",
            "3fff::",
            "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
            &["3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff:1000::"],
        ),
        range("5f00::/16", "5f00::", "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &[]),
        range("fc00::/7", "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &[]),
        range("fe80::/10", "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &[]),
        range("fec0::/10", "fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &[]),
        range("ff00::/8", "ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &[]),
        range("::/96", "::", "::ffff:ffff", &[]),
        range("::/3", "::", "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &[]),
        range(
            "4000::/2",
            "4000::",
            "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            &["3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
        ),
        range("8000::/1", "8000::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &[]),
    ];

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn every_range_is_refused_from_its_first_to_its_last_address() {
        for r in RANGES {
            for end in [r.first, r.last] {
                assert!(!is_public(ip(end)), "{end} in {} was accepted", r.prefix);
            }
        }
    }

    #[test]
    fn the_public_neighbours_of_each_range_are_accepted() {
        for r in RANGES {
            for n in r.neighbours {
                assert_eq!(refusal(ip(n)), None, "{n}, next to {}", r.prefix);
            }
        }
    }

    #[test]
    fn the_hand_written_ranges_match_the_tables_entry_for_entry() {
        let tables: Vec<&Block> = IPV4_REGISTRY
            .iter()
            .chain(IPV6_REGISTRY)
            .chain(OTHERS)
            .collect();
        assert_eq!(tables.len(), RANGES.len());
        for b in tables {
            let r = RANGES.iter().find(|r| r.prefix == b.prefix);
            let r = r.unwrap_or_else(|| panic!("{} has no hand-written range", b.prefix));
            let net: IpNet = b.prefix.parse().unwrap();
            assert_eq!(net.network(), ip(r.first), "{}", b.prefix);
            assert_eq!(net.broadcast(), ip(r.last), "{}", b.prefix);
        }
    }

    #[test]
    fn both_registries_are_written_down_whole() {
        // The registries' 2025 editions: 25 IPv4 entries (the two NAT64/DNS64 discovery
        // addresses are one entry there, two here) and 25 IPv6 entries.
        assert_eq!(IPV4_REGISTRY.len(), 26);
        assert_eq!(IPV6_REGISTRY.len(), 25);
    }

    #[test]
    fn ordinary_public_addresses_are_accepted() {
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "81.2.69.142",
            "151.101.0.81",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "2a00:1450:4009:81f::200e",
        ] {
            assert!(is_public(ip(public)), "{public}");
            assert_eq!(check(ip(public), false), Ok(()), "{public}");
        }
    }

    #[test]
    fn embedded_ipv4_forms_are_refused_whatever_they_carry() {
        for (embedded, prefix) in [
            ("::ffff:8.8.8.8", "::ffff:0:0/96"),
            ("::8.8.8.8", "::/96"),
            ("::127.0.0.1", "::/96"),
            ("64:ff9b::808:808", "64:ff9b::/96"),
            ("64:ff9b:1::808:808", "64:ff9b:1::/48"),
            ("2002:808:808::1", "2002::/16"),
            ("2002:7f00:1::", "2002::/16"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::/32"),
        ] {
            let found = refusal(ip(embedded)).map(|b| b.prefix);
            assert_eq!(found, Some(prefix), "{embedded}");
        }
    }

    #[test]
    fn the_narrowest_block_names_the_refusal() {
        for (address, name) in [
            ("127.0.0.1", "Loopback"),
            ("::1", "Loopback Address"),
            ("::", "Unspecified Address"),
            ("192.0.0.9", "Port Control Protocol Anycast"),
            ("192.0.0.1", "IPv4 Service Continuity Prefix"),
            ("192.0.0.200", "IETF Protocol Assignments"),
            ("2001:1::1", "Port Control Protocol Anycast"),
            ("2001:5::1", "IETF Protocol Assignments"),
            ("fec0::1", "Site-Local (deprecated)"),
            ("ff02::1", "Multicast"),
            ("4000::1", "Reserved by the IETF, not global unicast"),
        ] {
            assert_eq!(
                refusal(ip(address)).map(|b| b.name),
                Some(name),
                "{address}"
            );
        }
    }

    #[test]
    fn loopback_is_let_through_only_when_allowed_and_only_loopback() {
        assert_eq!(check(ip("127.0.0.1"), true), Ok(()));
        assert_eq!(check(ip("127.255.0.9"), true), Ok(()));
        assert_eq!(check(ip("::1"), true), Ok(()));
        for refused in ["127.0.0.1", "::1"] {
            assert!(check(ip(refused), false).is_err(), "{refused}");
        }
        for still_refused in [
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "10.0.0.1",
            "0.0.0.0",
            "::",
        ] {
            assert!(check(ip(still_refused), true).is_err(), "{still_refused}");
        }
    }
}
