using System.Text.Json.Nodes;

namespace Automations.Agent;

// The agent protocol: what the server and its agents say to each other. The server references this
// project for these types, so the two sides cannot drift apart.

public enum LaunchRunStatus
{
    Queued = 0,
    Claimed = 1,
    Running = 2,
    Finished = 3,
    Failed = 4,
    Cancelled = 5,
}

public sealed record AgentRegistration(string Queue, string? Name = null, string? Version = null);

/// <summary>TimeoutSeconds: the server gives an agent's runs back to the queue after this much silence; the agent stops its job before that.</summary>
public sealed record AgentRegistered(int AgentId, string Queue, int HeartbeatSeconds, int PollSeconds, int TimeoutSeconds = 60);

public sealed record AgentRequest(int AgentId);

public sealed record HeartbeatReply(IReadOnlyList<long> CancelRunIds);

/// <summary>Everything an agent needs to run a claimed run; the only place secret values leave the server for a job.</summary>
public sealed record ClaimedRun(
    long RunId,
    string Team,
    string Queue,
    string Project,
    string Job,
    int JobVersion,
    string Program,
    IReadOnlyList<string> Arguments,
    string? WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    JsonNode Config,
    int? AutomationId,
    long? EventId);

public sealed record StatusReport(int AgentId, LaunchRunStatus Status, int? ExitCode = null, string? Error = null);

public sealed record OutputChunk(int AgentId, string Text);

public sealed record OutputReply(bool CancelRequested);
