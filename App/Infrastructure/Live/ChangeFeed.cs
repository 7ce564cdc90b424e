using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Automations.Infrastructure.Live;

/// <summary>
/// Tells open pages that rows they show have changed, so history, lists and launch pages update by themselves instead
/// of each polling the database. Changes are published after their transaction commits (<see cref="ChangeCapture"/>, or
/// by hand after a bulk update); with several instances, <see cref="PostgresChangeRelay"/> carries them to the others.
/// A subscriber is called at most once per <see cref="MinInterval"/>, however many changes arrive: a page reloads once
/// for a burst of a thousand deliveries, not a thousand times.
/// </summary>
public sealed class ChangeFeed(ILogger<ChangeFeed> logger)
{
    /// <summary>The least time between two calls of one subscriber.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<Subscription, byte> _subscriptions = new();
    /// <summary>Pacing the pages is about real time, also where the app's clock is a test's fake one.</summary>
    private readonly TimeProvider _clock = TimeProvider.System;
    private readonly ILogger _logger = logger;

    /// <summary>Changes waiting to be sent to the other instances; read by the relay when there is one.</summary>
    internal Channel<Change>? Outbox { get; set; }

    /// <summary>Calls <paramref name="onChange"/> (throttled) after changes matching <paramref name="filter"/>; dispose to stop.</summary>
    public IDisposable Subscribe(Func<Change, bool> filter, Func<Task> onChange)
    {
        var subscription = new Subscription(this, filter, onChange);
        _subscriptions.TryAdd(subscription, 0);
        return subscription;
    }

    /// <summary>Committed changes of this instance: to its own pages now, and to the other instances through the relay.</summary>
    public void Publish(IEnumerable<Change> changes)
    {
        foreach (var change in changes)
        {
            Outbox?.Writer.TryWrite(change);
            Deliver(change);
        }
    }

    public void Publish(Change change) => Publish([change]);

    /// <summary>A change to show on this instance's pages only (one another instance made).</summary>
    internal void Deliver(Change change)
    {
        foreach (var subscription in _subscriptions.Keys)
        {
            subscription.Offer(change);
        }
    }

    internal int SubscriberCount => _subscriptions.Count;

    private sealed class Subscription(ChangeFeed feed, Func<Change, bool> filter, Func<Task> onChange) : IDisposable
    {
        private readonly Lock _gate = new();
        private bool _scheduled;
        private bool _running;
        private bool _again;
        private long _lastCall;
        private bool _disposed;

        public void Offer(Change change)
        {
            bool matches;
            try
            {
                matches = filter(change);
            }
            catch (Exception ex)
            {
                feed._logger.LogWarning(ex, "A page's change filter failed");
                return;
            }

            if (!matches)
            {
                return;
            }

            lock (_gate)
            {
                if (_disposed || _scheduled)
                {
                    return;
                }

                if (_running)
                {
                    // A change while the page reloads: it may have read before this commit, so once more after it.
                    _again = true;
                    return;
                }

                _scheduled = true;
            }

            _ = RunAsync();
        }

        private async Task RunAsync()
        {
            // Waits out the rest of the interval since the last call: the burst's later changes join this one.
            var since = feed._clock.GetElapsedTime(Interlocked.Read(ref _lastCall));
            var wait = _lastCall == 0 ? TimeSpan.FromMilliseconds(100) : MinInterval - since;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, feed._clock);
            }

            lock (_gate)
            {
                (_scheduled, _running) = (false, true);
                if (_disposed)
                {
                    return;
                }
            }

            try
            {
                Interlocked.Exchange(ref _lastCall, feed._clock.GetTimestamp());
                await onChange();
            }
            catch (Exception ex)
            {
                feed._logger.LogDebug(ex, "A page failed to refresh after a change");
            }
            finally
            {
                bool again;
                lock (_gate)
                {
                    _running = false;
                    again = _again && !_disposed;
                    _again = false;
                    _scheduled = again;
                }

                if (again)
                {
                    _ = RunAsync();
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
            }

            feed._subscriptions.TryRemove(this, out _);
        }
    }
}
