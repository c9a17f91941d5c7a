import { Button, Group, Stack, TextInput, Textarea } from '@mantine/core';
import type { Item, ItemInput } from '../../api/types';
import { ProblemAlert, fieldErrors } from '../../components/ProblemAlert';

export type { Item, ItemInput };

/**
 * Reads the form into the api's item body. Values are sent as typed, unvalidated: the api's
 * validation is the single source of truth and its field errors come back next to the inputs.
 */
export function readItemForm(form: HTMLFormElement): ItemInput {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? '').trim();
  const number = (name: string) => (text(name) === '' ? null : Number(text(name)));
  return {
    name: text('name'),
    description: text('description') || null,
    // An empty or malformed price goes as NaN -> null, which the api rejects with a field error.
    price: number('price') as number,
    tax: number('tax'),
    tags: text('tags')
      .split(',')
      .map((tag) => tag.trim())
      .filter(Boolean),
  };
}

interface ItemFormProps {
  item?: Item;
  error: unknown;
  saving: boolean;
  onSubmit: (input: ItemInput) => void;
  onCancel: () => void;
}

export function ItemForm({ item, error, saving, onSubmit, onCancel }: ItemFormProps) {
  const errors = fieldErrors(error);
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit(readItemForm(event.currentTarget));
      }}
    >
      <Stack maw={560}>
        <ProblemAlert error={error} title="Could not save the item" />
        <TextInput label="Name" name="name" required defaultValue={item?.name} error={errors.name} />
        <Textarea
          label="Description"
          name="description"
          rows={3}
          defaultValue={item?.description ?? ''}
          error={errors.description}
        />
        <TextInput
          label="Price"
          name="price"
          inputMode="decimal"
          required
          defaultValue={item?.price.toString()}
          description="Greater than 0, two decimals at most"
          error={errors.price}
        />
        <TextInput
          label="Tax"
          name="tax"
          inputMode="decimal"
          defaultValue={item?.tax?.toString() ?? ''}
          description="Optional; not above the price"
          error={errors.tax}
        />
        <TextInput
          label="Tags"
          name="tags"
          defaultValue={item?.tags.join(', ')}
          description="Separate tags with commas; letters, digits, - and _"
          error={errors.tags}
        />
        <Group>
          <Button type="submit" loading={saving}>
            Save
          </Button>
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
