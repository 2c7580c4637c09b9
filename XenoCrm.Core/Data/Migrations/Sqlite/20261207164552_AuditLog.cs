using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace XenoCrm.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AuditLog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "audit_log",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    occurred_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    actor = table.Column<string>(type: "TEXT", maxLength: 254, nullable: false),
                    actor_address = table.Column<string>(type: "TEXT", maxLength: 45, nullable: true),
                    action = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    target_type = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    target_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    target_label = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    details = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    outcome = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_audit_log", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_audit_log_action_occurred_at",
                table: "audit_log",
                columns: new[] { "action", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "IX_audit_log_actor_occurred_at",
                table: "audit_log",
                columns: new[] { "actor", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "IX_audit_log_occurred_at_id",
                table: "audit_log",
                columns: new[] { "occurred_at", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "audit_log");
        }
    }
}
