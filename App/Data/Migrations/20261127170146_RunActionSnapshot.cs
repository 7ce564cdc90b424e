using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Automations.Data.Migrations
{
    /// <inheritdoc />
    public partial class RunActionSnapshot : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Action",
                table: "AutomationRuns",
                type: "TEXT",
                nullable: false,
                defaultValue: "{}");

            // Each run's copy of its action moves, unchanged, from eight columns into one JSON value.
            migrationBuilder.Sql("""
                UPDATE "AutomationRuns" SET "Action" = json_object(
                    'WebhookName', "WebhookName", 'Template', "PayloadTemplate", 'JobId', "JobId", 'JobName', "JobName",
                    'JobVersion', "JobVersion", 'QueueId', "QueueId", 'QueueName', "QueueName", 'DestinationProjectId', "DestinationProjectId");
                """);

            migrationBuilder.DropColumn(
                name: "DestinationProjectId",
                table: "AutomationRuns");

            migrationBuilder.DropColumn(
                name: "JobId",
                table: "AutomationRuns");

            migrationBuilder.DropColumn(
                name: "JobName",
                table: "AutomationRuns");

            migrationBuilder.DropColumn(
                name: "JobVersion",
                table: "AutomationRuns");

            migrationBuilder.DropColumn(
                name: "PayloadTemplate",
                table: "AutomationRuns");

            migrationBuilder.DropColumn(
                name: "QueueId",
                table: "AutomationRuns");

            migrationBuilder.DropColumn(
                name: "QueueName",
                table: "AutomationRuns");

            migrationBuilder.DropColumn(
                name: "WebhookName",
                table: "AutomationRuns");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Action",
                table: "AutomationRuns");

            migrationBuilder.AddColumn<int>(
                name: "DestinationProjectId",
                table: "AutomationRuns",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "JobId",
                table: "AutomationRuns",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "JobName",
                table: "AutomationRuns",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "JobVersion",
                table: "AutomationRuns",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PayloadTemplate",
                table: "AutomationRuns",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "QueueId",
                table: "AutomationRuns",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "QueueName",
                table: "AutomationRuns",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "WebhookName",
                table: "AutomationRuns",
                type: "TEXT",
                maxLength: 100,
                nullable: true);
        }
    }
}
