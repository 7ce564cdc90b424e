using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Automations.Infrastructure.Outbound;

/// <summary>Raised when a destination is refused by the SSRF rules, at save time or at connect time.</summary>
public sealed class OutboundBlockedException(string message) : Exception(message);

/// <summary>
/// The server-side request forgery guard. <see cref="ValidateUrlAsync"/> runs when a webhook is saved;
/// <see cref="ConnectAsync"/> runs inside the HttpClient for every new connection, so a name that
/// resolved to a public address at save time and to an internal one later (DNS rebinding) still fails.
/// </summary>
public sealed class UrlGuard(IHostResolver resolver, IOptionsMonitor<OutboundOptions> options)
{
    /// <summary>
    /// A URL a person entered in <paramref name="field"/> (a webhook's, a Slack incoming webhook's): at most
    /// <paramref name="maxLength"/> characters and allowed by <see cref="ValidateUrlAsync"/>, or an
    /// <see cref="InputException"/> naming the field.
    /// </summary>
    public async Task<Uri> CheckEnteredAsync(string? url, string field, int maxLength, CancellationToken ct = default)
    {
        if ((url ?? "").Length > maxLength)
        {
            throw new InputException(field, $"The URL must be at most {maxLength} characters.");
        }

        try
        {
            return await ValidateUrlAsync(url, ct);
        }
        catch (OutboundBlockedException ex)
        {
            throw new InputException(field, ex.Message);
        }
    }

    /// <summary>Checks a webhook URL; throws <see cref="OutboundBlockedException"/> with the reason.</summary>
    public async Task<Uri> ValidateUrlAsync(string? url, CancellationToken ct = default)
    {
        url = url?.Trim();
        if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new OutboundBlockedException("The URL must be an absolute http:// or https:// URL.");
        }
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new OutboundBlockedException("The URL must not contain a user name or password; use an access token instead.");
        }

        var host = CheckHostName(uri.IdnHost);
        await ResolveAllowedAsync(host, ct);
        return uri;
    }

    /// <summary>The ConnectCallback of the guarded SocketsHttpHandler.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = CheckHostName(context.DnsEndPoint.Host);
        var addresses = await ResolveAllowedAsync(host, ct);

        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                // Connect to the address that was checked, never to the name again.
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>How an operator opens the guard for one host, said wherever a host is refused for being internal.</summary>
    private const string AllowHint = " An operator can allow it with the setting Outbound:AllowedHosts (for example --Outbound:AllowedHosts=jenkins.internal,localhost).";

    /// <summary>DNS limits: 253 characters in all, 63 per label.</summary>
    private const int MaxHostLength = 253;

    private const int MaxLabelLength = 63;

    private string CheckHostName(string rawHost)
    {
        var host = rawHost.Trim().TrimEnd('.').ToLowerInvariant();
        if (host.Length > MaxHostLength || host.Split('.').Any(label => label.Length is 0 or > MaxLabelLength))
        {
            throw new OutboundBlockedException($"The host name is not valid in DNS: at most {MaxHostLength} characters, and 1-{MaxLabelLength} between dots.");
        }
        if (host.StartsWith('[') || IsIpLiteral(host))
        {
            throw new OutboundBlockedException($"The host '{rawHost}' is an IP address; use a host name.");
        }
        if (options.CurrentValue.IsAllowlisted(host))
        {
            return host;
        }
        if (host == "localhost" || host.EndsWith(".localhost", StringComparison.Ordinal))
        {
            throw new OutboundBlockedException($"The host '{rawHost}' is this machine (localhost).{AllowHint}");
        }
        if (!host.Contains('.'))
        {
            throw new OutboundBlockedException($"The host '{rawHost}' is a single-label name; use a fully qualified host name.{AllowHint}");
        }

        return host;
    }

    private async Task<IPAddress[]> ResolveAllowedAsync(string host, CancellationToken ct)
    {
        IPAddress[] addresses;
        try
        {
            addresses = await resolver.ResolveAsync(host, ct);
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            throw new OutboundBlockedException($"The host '{host}' does not resolve.");
        }
        if (addresses.Length == 0)
        {
            throw new OutboundBlockedException($"The host '{host}' does not resolve.");
        }

        var current = options.CurrentValue;
        var allowlisted = current.IsAllowlisted(host);
        foreach (var address in addresses)
        {
            var reason = allowlisted
                ? AddressPolicy.IsMetadata(address) ? "link-local (cloud metadata service)" : null
                : AddressPolicy.BlockReason(address, current.AllowPrivateNetworks);
            if (reason is not null)
            {
                throw new OutboundBlockedException($"The host '{host}' resolves to {address}, a {reason} address."
                    + (allowlisted ? "" : AllowHint));
            }
        }

        return addresses;
    }

    /// <summary>
    /// True for anything a resolver or browser might read as an IP address: dotted, decimal (2130706433),
    /// hex (0x7f000001), octal (0177.0.0.1), short forms (127.1), IPv6 and IPv4-mapped IPv6.
    /// </summary>
    internal static bool IsIpLiteral(string host)
    {
        if (IPAddress.TryParse(host, out _))
        {
            return true;
        }

        // inet_aton accepts up to four numeric parts, each decimal, 0x-hex or 0-octal. No real top-level
        // domain is numeric, so a name whose last label is numeric is treated as an address (this covers
        // every all-numeric form).
        return IsNumericPart(host.Split('.')[^1]);
    }

    private static bool IsNumericPart(string part)
    {
        if (part.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return part.Length == 2 || ulong.TryParse(part.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _);
        }

        return part.Length > 0 && part.All(char.IsAsciiDigit);
    }
}
