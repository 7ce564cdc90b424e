namespace Automations.Features.Automations;

public sealed record PayloadPreset(string Name, string Template);

/// <summary>Ready-made payloads the editor offers (from the W&B documentation's examples).</summary>
public static class PayloadPresets
{
    public static readonly PayloadPreset Default = new("Default", """
        {
          "event_type": "${event_type}",
          "event_author": "${event_author}",
          "artifact_version": "${artifact_version}",
          "artifact_version_string": "${artifact_version_string}",
          "artifact_collection_name": "${artifact_collection_name}",
          "project_name": "${project_name}",
          "entity_name": "${entity_name}"
        }
        """);

    public static readonly PayloadPreset GitHub = new("GitHub repository dispatch", """
        {
          "event_type": "BUILD_AND_DEPLOY",
          "client_payload": {
            "event_type": "${event_type}",
            "event_author": "${event_author}",
            "artifact_version": "${artifact_version}",
            "artifact_version_string": "${artifact_version_string}",
            "artifact_collection_name": "${artifact_collection_name}",
            "project_name": "${project_name}",
            "entity_name": "${entity_name}"
          }
        }
        """);

    public static readonly PayloadPreset Teams = new("Microsoft Teams", """
        {
          "@type": "MessageCard",
          "@context": "http://schema.org/extensions",
          "summary": "New artifact event: ${artifact_version_string}",
          "sections": [
            {
              "activityTitle": "${event_type} in ${entity_name}/${project_name}",
              "activitySubtitle": "${artifact_version_string}",
              "facts": [
                { "name": "Author", "value": "${event_author}" },
                { "name": "Event Type", "value": "${event_type}" }
              ],
              "markdown": true
            }
          ]
        }
        """);

    public static readonly PayloadPreset Slack = new("Slack", """
        {
          "text": "${event_type}: ${artifact_version_string}",
          "blocks": [
            {
              "type": "section",
              "text": { "type": "mrkdwn", "text": "*${event_type}* in *${entity_name}/${project_name}*" }
            },
            {
              "type": "section",
              "text": { "type": "mrkdwn", "text": "New version: `${artifact_version_string}`" }
            },
            {
              "type": "section",
              "text": { "type": "mrkdwn", "text": "Author: ${event_author}" }
            },
            { "type": "divider" }
          ]
        }
        """);

    public static readonly IReadOnlyList<PayloadPreset> All = [Default, GitHub, Teams, Slack];
}
