using System.Collections.Concurrent;
using Automations.Features.Dispatch;
using Microsoft.Extensions.Logging;

namespace Automations.Tests.TestInfrastructure;

public sealed class RecordingDispatchQueue : IDispatchQueue
{
    public ConcurrentQueue<long> Enqueued { get; } = new();

    public ConcurrentQueue<(long RunId, TimeSpan Delay)> Scheduled { get; } = new();

    public ConcurrentQueue<long> EnqueuedSlow { get; } = new();

    public void Enqueue(long runId) => Enqueued.Enqueue(runId);

    public void EnqueueSlow(long runId) => EnqueuedSlow.Enqueue(runId);

    public void Schedule(long runId, TimeSpan delay) => Scheduled.Enqueue((runId, delay));
}

/// <summary>Keeps every formatted log message (and exception text) of a host.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {category} {logLevel}: {formatter(state, exception)} {exception}");
    }
}
