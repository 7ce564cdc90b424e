using System.Net;
using System.Net.Sockets;

namespace Automations.Infrastructure.Security;

public static class ClientAddress
{
    /// <summary>
    /// The key that rate limits count a client by: its IPv4 address, or the /64 network of an IPv6 address (one host
    /// usually holds a whole /64, so counting single IPv6 addresses would let it rotate past any limit). "unknown" when
    /// the server knows no address (the in-process test server). Behind a reverse proxy this is the proxy's address
    /// unless forwarded headers are configured.
    /// </summary>
    public static string Of(HttpContext context) => context.Connection.RemoteIpAddress is { } address ? Key(address) : "unknown";

    /// <summary>
    /// The client's whole address, as the audit log records it (an IPv4-mapped address as IPv4), or null when the server
    /// knows none. Like <see cref="Of"/>, the proxy's address behind a reverse proxy unless forwarded headers are configured.
    /// </summary>
    public static string? Exact(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString() : null;

    internal static string Key(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(address))
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return $"{new IPAddress(bytes)}/64";
    }
}
