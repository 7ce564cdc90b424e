using System.Text.Json.Nodes;

namespace Automations.Features.Launch;

/// <summary>What an admin submits for a job version. Environment values may reference team secrets as ${NAME}.</summary>
public sealed record JobVersionInput(
    string Program,
    IReadOnlyList<string>? Arguments = null,
    string? WorkingDirectory = null,
    IReadOnlyDictionary<string, string>? Environment = null,
    JsonObject? DefaultConfig = null,
    string? Notes = null);

public sealed record JobInput(string Name, string? Description, JobVersionInput Version);

public sealed record JobSummary(int Id, string Name, string Description, int LatestVersion, int VersionCount, int UsedByAutomations, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record JobVersionView(
    int Number,
    string Program,
    IReadOnlyList<string> Arguments,
    string? WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    JsonObject DefaultConfig,
    string Notes,
    DateTimeOffset CreatedAt,
    string CreatedBy)
{
    public string Label => $"v{Number}";
}

public sealed record JobDetail(JobSummary Job, IReadOnlyList<JobVersionView> Versions);

public sealed record QueueInput(string Name, string? Description = null, string? ResourceType = null, JsonObject? Settings = null);

public sealed record QueueSummary(
    int Id,
    string Name,
    string Description,
    string ResourceType,
    JsonObject Settings,
    int Queued,
    int Active,
    int OnlineAgents,
    int UsedByAutomations,
    DateTimeOffset CreatedAt,
    string CreatedBy);

public sealed record LaunchRunSummary(
    long Id,
    string Queue,
    string Job,
    int JobVersion,
    string Project,
    LaunchRunStatus Status,
    string? Agent,
    int? ExitCode,
    string? Error,
    int? AutomationId,
    long? AutomationRunId,
    long? EventId,
    bool CancelRequested,
    int Requeues,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset? ClaimedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt)
{
    public bool IsActive => LaunchRun.Active(Status);

    /// <summary>The automation that caused the run, by name, and its project (null for a team-wide one).</summary>
    public string? AutomationName { get; init; }

    public string? AutomationProject { get; init; }
}

public sealed record LaunchRunDetail(LaunchRunSummary Run, JsonNode? Config, string OutputTail);

/// <summary>Launch a job by hand (the API and the job page); automations create runs the same way.</summary>
public sealed record LaunchRequest(string Job, int? Version, string Project, JsonObject? Config = null);

public sealed record AgentSummary(
    int Id,
    string Name,
    string Queue,
    string Version,
    string RegisteredBy,
    DateTimeOffset RegisteredAt,
    DateTimeOffset LastHeartbeatAt,
    bool Online,
    long? CurrentRunId);
