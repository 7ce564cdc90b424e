using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Automations.Infrastructure.Outbound;

namespace Automations.Tests.TestInfrastructure;

/// <summary>DNS under the test's control: no test ever asks a real resolver. Unknown names do not resolve.</summary>
public sealed class FakeHostResolver : IHostResolver
{
    private readonly ConcurrentDictionary<string, Queue<IPAddress[]>> _answers = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every lookup of <paramref name="host"/> answers <paramref name="addresses"/>.</summary>
    public FakeHostResolver Map(string host, params string[] addresses)
    {
        _answers[host] = new Queue<IPAddress[]>([addresses.Select(IPAddress.Parse).ToArray()]);
        return this;
    }

    /// <summary>Lookups answer each list in turn, the last one from then on (DNS rebinding).</summary>
    public FakeHostResolver MapSequence(string host, params string[][] answers)
    {
        _answers[host] = new Queue<IPAddress[]>(answers.Select(a => a.Select(IPAddress.Parse).ToArray()));
        return this;
    }

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        if (!_answers.TryGetValue(host, out var queue))
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        lock (queue)
        {
            return Task.FromResult(queue.Count > 1 ? queue.Dequeue() : queue.Peek());
        }
    }
}
