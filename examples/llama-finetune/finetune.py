"""Full fine-tuning of a causal language model on a pre-tokenized dataset.

Started by runctl on every node with torchrun (see examples/llama-finetune.yaml);
torchrun sets RANK/WORLD_SIZE, and HF_TOKEN / WANDB_API_KEY come from the
stack's SSM parameters. Checkpoints go to --output-dir, which runctl syncs to
the checkpoint bucket.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from datasets import DatasetDict, load_from_disk
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    DataCollatorForLanguageModeling,
    Trainer,
    TrainingArguments,
)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", required=True, help="Hugging Face model id")
    p.add_argument("--dataset", required=True, help="directory written by datasets.save_to_disk")
    p.add_argument("--output-dir", required=True)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--per-device-batch-size", type=int, default=4)
    p.add_argument("--learning-rate", type=float, default=2e-5)
    p.add_argument("--bf16", action="store_true")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(args.model)
    dataset = load_from_disk(args.dataset)
    training_args = TrainingArguments(
        output_dir=args.output_dir,
        num_train_epochs=args.epochs,
        per_device_train_batch_size=args.per_device_batch_size,
        learning_rate=args.learning_rate,
        bf16=args.bf16,
        gradient_checkpointing=True,
        save_strategy="steps",
        save_steps=500,
        save_total_limit=3,
        logging_steps=20,
        report_to=["wandb"],
    )
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=dataset["train"] if isinstance(dataset, DatasetDict) else dataset,
        data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False),
    )
    # Resume from the newest checkpoint after a spot interruption.
    has_checkpoint = any(Path(args.output_dir).glob("checkpoint-*"))
    trainer.train(resume_from_checkpoint=has_checkpoint or None)
    trainer.save_model(args.output_dir)


if __name__ == "__main__":
    main()
