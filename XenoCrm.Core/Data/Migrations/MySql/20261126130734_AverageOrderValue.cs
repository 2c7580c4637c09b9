using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace XenoCrm.Core.Data.Migrations.MySql
{
    /// <inheritdoc />
    public partial class AverageOrderValue : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<decimal>(
                name: "avg_order_value",
                table: "customers",
                type: "decimal(18,2)",
                precision: 18,
                scale: 2,
                nullable: true);

            // Customers stored before this column existed get their average now.
            migrationBuilder.Sql("UPDATE customers SET avg_order_value = ROUND(total_spend / order_count, 2) WHERE order_count > 0");

            migrationBuilder.CreateIndex(
                name: "IX_customers_avg_order_value",
                table: "customers",
                column: "avg_order_value");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_customers_avg_order_value",
                table: "customers");

            migrationBuilder.DropColumn(
                name: "avg_order_value",
                table: "customers");
        }
    }
}
