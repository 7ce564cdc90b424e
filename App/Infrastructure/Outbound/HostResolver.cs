using System.Net;

namespace Automations.Infrastructure.Outbound;

/// <summary>DNS, behind a seam so tests can make a name resolve to whatever they need without touching real DNS.</summary>
public interface IHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct);
}

public sealed class DnsHostResolver : IHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) => Dns.GetHostAddressesAsync(host, ct);
}
