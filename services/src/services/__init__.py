"""The chassis: knows no business word."""
