using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Automations.Agent;

/// <summary>The server answered that the request cannot succeed as it is (4xx other than 408/429).</summary>
public sealed class AgentRequestException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}

/// <summary>
/// The agent's side of the agent API. Every call retries while the server is unreachable or answers
/// 5xx/408/429, backing off up to <see cref="MaxBackoff"/>, so a restarting server costs only time.
/// </summary>
public sealed class AgentClient(HttpClient http, string team, ILogger logger)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public static HttpClient CreateHttpClient(Uri server, string apiKey)
    {
        var client = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        client.DefaultRequestHeaders.UserAgent.ParseAdd($"Automations-Agent/{AgentInfo.Version}");
        return client;
    }

    public Task<AgentRegistered> RegisterAsync(AgentRegistration registration, CancellationToken ct) =>
        SendAsync<AgentRegistered>($"teams/{team}/launch/agents", registration, ct)!;

    public Task<HeartbeatReply> HeartbeatAsync(int agentId, CancellationToken ct) =>
        SendAsync<HeartbeatReply>($"teams/{team}/launch/agents/{agentId}/heartbeat", null, ct)!;

    public Task StopAsync(int agentId, CancellationToken ct) =>
        SendAsync<object>($"teams/{team}/launch/agents/{agentId}/stop", null, ct, retry: false);

    /// <summary>The oldest queued run, or null when the queue is empty.</summary>
    public Task<ClaimedRun?> ClaimAsync(string queue, int agentId, CancellationToken ct) =>
        SendAsync<ClaimedRun>($"teams/{team}/launch/queues/{Uri.EscapeDataString(queue)}/claim", new AgentRequest(agentId), ct);

    public Task ReportAsync(long runId, StatusReport report, CancellationToken ct) =>
        SendAsync<object>($"teams/{team}/launch/runs/{runId}/status", report, ct);

    public Task<OutputReply> AppendOutputAsync(long runId, OutputChunk chunk, CancellationToken ct) =>
        SendAsync<OutputReply>($"teams/{team}/launch/runs/{runId}/output", chunk, ct)!;

    private async Task<T?> SendAsync<T>(string path, object? body, CancellationToken ct, bool retry = true)
    {
        var delay = InitialBackoff;
        while (true)
        {
            try
            {
                using var response = await http.PostAsync($"api/v1/{path}", body is null ? null : JsonContent.Create(body, body.GetType(), options: Json), ct);
                if (response.IsSuccessStatusCode)
                {
                    return response.StatusCode == HttpStatusCode.NoContent || response.Content.Headers.ContentLength == 0 || typeof(T) == typeof(object)
                        ? default
                        : await response.Content.ReadFromJsonAsync<T>(Json, ct);
                }

                var status = (int)response.StatusCode;
                if (!retry || status is not (>= 500 or 408 or 429))
                {
                    var problem = await response.Content.ReadAsStringAsync(ct);
                    throw new AgentRequestException(response.StatusCode, $"{path}: HTTP {status} {problem}");
                }

                logger.LogWarning("{Path}: HTTP {Status}; retrying in {Delay}", path, status, delay);
            }
            catch (Exception ex) when (retry && !ct.IsCancellationRequested && ex is HttpRequestException or TaskCanceledException)
            {
                logger.LogWarning("{Path}: server unreachable ({Error}); retrying in {Delay}", path, ex.Message, delay);
            }

            await Task.Delay(delay, ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
        }
    }
}
