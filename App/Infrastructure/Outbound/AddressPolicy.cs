using System.Net;
using System.Net.Sockets;

namespace Automations.Infrastructure.Outbound;

/// <summary>Which resolved addresses a webhook may connect to. Returns why an address is blocked, or null.</summary>
public static class AddressPolicy
{
    private static readonly (IPNetwork Network, string Reason)[] V4Blocked =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified (\"this network\")"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "carrier-grade NAT"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved (IETF protocol assignments)"),
        (IPNetwork.Parse("192.0.2.0/24"), "reserved (documentation)"),
        (IPNetwork.Parse("192.88.99.0/24"), "reserved (6to4 relay)"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("198.18.0.0/15"), "reserved (benchmarking)"),
        (IPNetwork.Parse("198.51.100.0/24"), "reserved (documentation)"),
        (IPNetwork.Parse("203.0.113.0/24"), "reserved (documentation)"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
    ];

    private static readonly (IPNetwork Network, string Reason)[] V6Blocked =
    [
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("::/96"), "reserved (IPv4-compatible)"),
        (IPNetwork.Parse("100::/64"), "reserved (discard)"),
        (IPNetwork.Parse("2001::/23"), "reserved (IETF protocol assignments)"),
        (IPNetwork.Parse("2001:db8::/32"), "reserved (documentation)"),
        (IPNetwork.Parse("fc00::/7"), "private (unique local)"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("fec0::/10"), "reserved (site-local)"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPAddress[] Metadata = [IPAddress.Parse("169.254.169.254"), IPAddress.Parse("fd00:ec2::254")];

    /// <summary>Why <paramref name="address"/> must not be contacted, or null when it may be.</summary>
    public static string? BlockReason(IPAddress address, bool allowPrivateNetworks)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // Forms that embed an IPv4 address are judged by that address.
            var bytes = address.GetAddressBytes();
            if (Nat64.Contains(address))
            {
                return BlockReason(new IPAddress(bytes[12..16]), allowPrivateNetworks);
            }
            if (SixToFour.Contains(address))
            {
                return BlockReason(new IPAddress(bytes[2..6]), allowPrivateNetworks);
            }
        }

        if (Metadata.Any(m => m.Equals(address)))
        {
            return "link-local (cloud metadata service)";
        }

        var table = address.AddressFamily == AddressFamily.InterNetwork ? V4Blocked : V6Blocked;
        foreach (var (network, reason) in table)
        {
            if (network.Contains(address))
            {
                return allowPrivateNetworks && reason.StartsWith("private", StringComparison.Ordinal) ? null : reason;
            }
        }

        return null;
    }

    /// <summary>Only the cloud metadata service stays blocked for allowlisted hosts.</summary>
    public static bool IsMetadata(IPAddress address) =>
        Metadata.Any(m => m.Equals(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address));
}
