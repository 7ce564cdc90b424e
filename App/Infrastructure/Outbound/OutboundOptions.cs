namespace Automations.Infrastructure.Outbound;

/// <summary>Configuration section "Outbound": how the one outbound HttpClient may reach the network.</summary>
public sealed class OutboundOptions
{
    public const string Section = "Outbound";

    /// <summary>
    /// Host names an operator trusts to resolve to internal addresses (e.g. "jenkins.corp" or, for tests, "localhost").
    /// Only these exact names (case-insensitive) skip the name and address checks; the cloud metadata address stays blocked.
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>Lets every host resolve to RFC 1918 / unique-local addresses (self-hosted installs). Loopback, link-local and the rest stay blocked.</summary>
    public bool AllowPrivateNetworks { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whole request: connect, send, headers, and the bounded body read.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>At most this many response body bytes are read; the rest is discarded.</summary>
    public int MaxResponseBytes { get; set; } = 64 * 1024;

    internal bool IsAllowlisted(string host) =>
        AllowedHosts.Any(h => string.Equals(h.Trim().TrimEnd('.'), host, StringComparison.OrdinalIgnoreCase));
}
