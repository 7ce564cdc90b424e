using Hangfire.AspNetCore;
using Hangfire.Logging;

namespace Automations.Infrastructure;

/// <summary>
/// Hangfire logs through one process-wide provider, and its AddHangfire points that provider at the
/// ILoggerFactory of whichever host configured it last. With several hosts in one process (tests,
/// benchmarks), disposing that host left every other host's Hangfire calls - enqueueing a job among
/// them - failing on a disposed LoggerFactory. This provider follows the newest host still alive
/// and logs nothing when none is. With one host, as in production, it is AspNetCoreLogProvider.
/// </summary>
public sealed class HangfireLogBridge : ILogProvider
{
    public static readonly HangfireLogBridge Instance = new();

    private readonly List<(ILoggerFactory Factory, AspNetCoreLogProvider Provider)> _hosts = [];
    private volatile AspNetCoreLogProvider? _current;

    private HangfireLogBridge()
    {
    }

    /// <summary>A host's logger factory starts serving Hangfire's logs; dispose the result when the host goes.</summary>
    public IDisposable Attach(ILoggerFactory factory)
    {
        lock (_hosts)
        {
            _hosts.Add((factory, new AspNetCoreLogProvider(factory)));
            _current = _hosts[^1].Provider;
        }

        return new Attachment(this, factory);
    }

    public ILog GetLogger(string name) => new BridgedLog(this, name);

    private void Detach(ILoggerFactory factory)
    {
        lock (_hosts)
        {
            _hosts.RemoveAll(h => ReferenceEquals(h.Factory, factory));
            _current = _hosts.Count == 0 ? null : _hosts[^1].Provider;
        }
    }

    private sealed class Attachment(HangfireLogBridge bridge, ILoggerFactory factory) : IDisposable
    {
        public void Dispose() => bridge.Detach(factory);
    }

    private sealed class BridgedLog(HangfireLogBridge bridge, string name) : ILog
    {
        private sealed record Cached(AspNetCoreLogProvider Provider, ILog Log);

        private volatile Cached? _cached;

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string> messageFunc, Exception exception)
        {
            var current = bridge._current;
            if (current is null)
            {
                return false;
            }

            var cached = _cached;
            if (cached is null || !ReferenceEquals(cached.Provider, current))
            {
                _cached = cached = new Cached(current, current.GetLogger(name));
            }

            try
            {
                return cached.Log.Log(logLevel, messageFunc, exception);
            }
            catch (ObjectDisposedException)
            {
                // The host was disposed between the read above and this call.
                return false;
            }
        }
    }
}
