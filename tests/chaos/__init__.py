"""The chaos run (issue 10): the whole suite as processes, under load, while workers are
SIGKILLed and RabbitMQ and MariaDB restart; then every accepted item is accounted for."""
