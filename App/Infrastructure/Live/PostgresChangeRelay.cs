using System.Text.Json;
using System.Threading.Channels;
using Npgsql;

namespace Automations.Infrastructure.Live;

/// <summary>
/// Carries committed changes between instances sharing one PostgreSQL database, with LISTEN/NOTIFY on one channel: each
/// instance sends its own changes (batched: one NOTIFY per 100 ms at most, payloads under PostgreSQL's 8,000-byte limit) and
/// shows the others' on its pages. The database is not polled. After losing its listening connection, an instance
/// reconnects and tells every open page to refresh once, for what it may have missed meanwhile.
/// </summary>
public sealed class PostgresChangeRelay(ChangeFeed feed, string connectionString, ILogger<PostgresChangeRelay> logger) : BackgroundService
{
    public const string Channel = "automations_changes";

    private const int MaxPayloadBytes = 7_000;

    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(100);

    /// <summary>Tells this instance's own notifications from the others'.</summary>
    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];

    private readonly Channel<Change> _outbox = System.Threading.Channels.Channel.CreateBounded<Change>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>True once the listening connection is up (tests wait for it).</summary>
    public bool Listening { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        feed.Outbox = _outbox;
        var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
        await using (dataSource)
        {
            await Task.WhenAll(ListenAsync(dataSource, stoppingToken), SendAsync(dataSource, stoppingToken));
        }
    }

    private async Task ListenAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var reconnecting = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                connection.Notification += (_, e) => Received(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(ct);
                }

                Listening = true;
                if (reconnecting)
                {
                    logger.LogInformation("Listening for other instances' changes again");
                    feed.Deliver(Change.Everything);
                }

                while (!ct.IsCancellationRequested)
                {
                    await connection.WaitAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Listening = false;
                reconnecting = true;
                logger.LogWarning("Lost the connection that listens for other instances' changes ({Error}); reconnecting", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private void Received(string payload)
    {
        try
        {
            var message = JsonSerializer.Deserialize<Message>(payload, Json);
            if (message is null || message.From == _instance)
            {
                return;
            }

            foreach (var change in message.Changes)
            {
                feed.Deliver(change);
            }
        }
        catch (JsonException ex)
        {
            logger.LogWarning("Ignored a change notification that could not be read: {Error}", ex.Message);
        }
    }

    private async Task SendAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var batch = new List<Change>();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!await _outbox.Reader.WaitToReadAsync(ct))
                {
                    return;
                }

                await Task.Delay(BatchWindow, ct);
                batch.Clear();
                while (batch.Count < 5_000 && _outbox.Reader.TryRead(out var change))
                {
                    batch.Add(change);
                }

                await using var connection = await dataSource.OpenConnectionAsync(ct);
                foreach (var payload in Payloads(batch.Distinct().ToList()))
                {
                    await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection);
                    notify.Parameters.AddWithValue("channel", Channel);
                    notify.Parameters.AddWithValue("payload", payload);
                    await notify.ExecuteNonQueryAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The other instances' pages miss these changes; they refresh at their next change, or by hand.
                logger.LogWarning("Could not send {Count} changes to the other instances: {Error}", batch.Count, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>The batch in as few notifications as fit under the payload limit.</summary>
    private IEnumerable<string> Payloads(List<Change> changes)
    {
        var start = 0;
        while (start < changes.Count)
        {
            var count = changes.Count - start;
            string payload;
            while (true)
            {
                payload = JsonSerializer.Serialize(new Message(_instance, changes.GetRange(start, count)), Json);
                if (payload.Length <= MaxPayloadBytes || count == 1)
                {
                    break;
                }

                count = Math.Max(1, count / 2);
            }

            yield return payload;
            start += count;
        }
    }

    private sealed record Message(string From, List<Change> Changes);
}
