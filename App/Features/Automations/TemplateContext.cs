using System.Text.Json.Nodes;
using Automations.Data;
using Automations.Features.Artifacts;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Automations;

/// <summary>Builds the values a payload template renders with, from a stored event.</summary>
public static class TemplateContext
{
    public static async Task<TemplateValues> ForEventAsync(AppDbContext db, long eventId, IReadOnlyDictionary<string, string> secrets, CancellationToken ct)
    {
        var e = await db.ArtifactEvents.Where(x => x.Id == eventId)
            .Select(x => new
            {
                x.Type, x.Author, x.Alias,
                Team = x.Project.Team.Slug, Project = x.Project.Name, Collection = x.Collection.Name,
                x.Version.Index, x.Version.PublicId, x.Version.MetadataJson,
            })
            .SingleAsync(ct);
        var reference = e.Type == ArtifactEventTypes.AddArtifactAlias && e.Alias is not null ? e.Alias : $"v{e.Index}";
        var variables = new Dictionary<string, string>
        {
            ["event_type"] = e.Type,
            ["event_author"] = e.Author,
            ["artifact_version"] = ArtifactService.VersionUriScheme + e.PublicId,
            ["artifact_version_string"] = $"{e.Team}/{e.Project}/{e.Collection}:{reference}",
            ["artifact_collection_name"] = e.Collection,
            ["project_name"] = e.Project,
            ["entity_name"] = e.Team,
            ["alias"] = e.Alias ?? "",
        };
        return new TemplateValues(variables, JsonNode.Parse(e.MetadataJson) as JsonObject ?? [], secrets);
    }

    /// <summary>Clearly made-up values for previews when the project has no matching event yet.</summary>
    public static TemplateValues Sample(string team, string project, string eventType, string? collection, IReadOnlyDictionary<string, string> secrets)
    {
        collection ??= "my-collection";
        var alias = eventType == ArtifactEventTypes.AddArtifactAlias ? "production" : "";
        var variables = new Dictionary<string, string>
        {
            ["event_type"] = eventType,
            ["event_author"] = "sample-user",
            ["artifact_version"] = ArtifactService.VersionUriScheme + "SAMPLE0000000000000000",
            ["artifact_version_string"] = $"{team}/{project}/{collection}:{(alias.Length > 0 ? alias : "v0")}",
            ["artifact_collection_name"] = collection,
            ["project_name"] = project,
            ["entity_name"] = team,
            ["alias"] = alias,
        };
        return new TemplateValues(variables, new JsonObject { ["accuracy"] = 0.93, ["epochs"] = 10 }, secrets);
    }
}
